/**
 * Hand-written regularizers: functions, methods and modules that build a random mask and apply it to a tensor
 * (timm's `drop_path`, a textbook dropout, DropConnect on weights). Their behaviour is derived by symbolic
 * evaluation of the code, never by running it: the body is interpreted twice, once with the training flag on and
 * once with it off (evaluator-*.ts), over a small algebra of scalars, tensors, random draws and 0/1 masks
 * (value-domain.ts). The result is a `RegularizerSemantics` record (record.ts) that the rules RG003–RG005, the hover
 * and the profiler share.
 *
 * This file holds the entry points: the record of one definition, every regularizer of a file, the cheap test
 * before evaluating, the analyzer's context signature, and the regularizer the hover explains.
 */
import { TextMemo } from '../memo';
import type { FileModel } from '../model';
import type { Node } from '../parser';
import { walk, within } from '../syntax';
import { Evaluator } from './evaluator-statements';
import type { RegularizerSemantics } from './record';
import {
  callsOf,
  enclosingClass,
  initOf,
  isTrainingName,
  methodOf,
  parameters,
  RANDOM_TEXT,
  residualNames,
} from './syntax-queries';
import {
  bin,
  constantValue,
  factor,
  findSwitch,
  hasRandom,
  num,
  resolve,
  scalarValue,
  type Expr,
} from './value-domain';

const DROP_PATH_NAME = /drop_?path|stochastic_?depth|sto_?depth|drop_?connect|drop_?block_?path/i;
/** A free function without a training flag is a regularizer only by name: random masking is also data augmentation. */
const DROPOUT_NAME = /drop|connect|quant_?noise/i;
const DELIBERATE_DOC =
  /\b(whole|entire|full) (mini-?)?batch\b|\bbatch[- ]wise\b|\bper[- ]batch\b|\bbatch mode\b|"batch"|'batch'/i;

function docstring(def: Node): string {
  const first = def.childForFieldName('body')?.namedChild(0);
  return first?.type === 'expression_statement' && first.namedChild(0)?.type === 'string'
    ? first.namedChild(0)!.text
    : '';
}

function defaultsOf(fn: Node, cls: Node | null): Map<string, number> {
  const out = new Map<string, number>();
  const init = cls ? initOf(cls) : null;
  for (const p of [...(init ? parameters(init) : []), ...parameters(fn)])
    if (p.default !== undefined) out.set(p.name, p.default);
  return out;
}

/**
 * The semantics of a hand-written regularizer: a function or method (its own body, and the helpers of this file it
 * calls), or a class (its `forward`). Undefined when the code builds no random mask that it applies to a tensor.
 */
export function deriveRegularizerSemantics(model: FileModel, node: Node): RegularizerSemantics | undefined {
  let fn = node;
  let cls: Node | null;
  if (node.type === 'class_definition') {
    const forward = methodOf(node, 'forward');
    if (!forward) return undefined;
    fn = forward;
    cls = node;
  } else if (node.type === 'function_definition') {
    cls = enclosingClass(node);
  } else return undefined;
  const ownName = node.childForFieldName('name')?.text ?? '';
  const name =
    node.type === 'function_definition' && cls ? `${cls.childForFieldName('name')?.text ?? ''}.${ownName}` : ownName;

  const trainEval = new Evaluator(model, true);
  const train = trainEval.run(fn, undefined, cls);
  if (!train || !hasRandom(train)) return undefined;
  const tensors = trainEval.tensorsOf(fn, cls);
  const sw = findSwitch(train);
  const effectiveOn = !sw || sw.default !== false || sw.enabledByCaller;
  const resolved = resolve(train, effectiveOn);
  const parts = factor(resolved, tensors);
  if (!parts.ok || parts.masks.length !== 1 || parts.tensors.length !== 1) return undefined;
  const mask = parts.masks[0];
  const defaults = defaultsOf(fn, cls);
  const scale = parts.scale;

  const evalOut = new Evaluator(model, false).run(fn, undefined, cls);
  let usesTraining = false;
  walk(
    fn,
    (n) => {
      if (n.type === 'identifier' && isTrainingName(n.text)) usesTraining = true;
      return !usesTraining;
    },
    new Set(['identifier']),
  );
  let evaluation: RegularizerSemantics['evaluation'];
  let evalFactor: Expr | undefined;
  if (!usesTraining) {
    evaluation = { behaviour: cls ? 'stochastic' : 'caller' };
    if (!cls) evalFactor = num(1);
  } else if (!evalOut) evaluation = { behaviour: 'unknown' };
  else {
    const e = factor(resolve(evalOut, effectiveOn), tensors);
    if (!e.ok || e.tensors.length !== 1) evaluation = { behaviour: 'unknown' };
    else if (e.masks.length > 0) evaluation = { behaviour: 'stochastic' };
    else {
      evalFactor = e.scale;
      const c = constantValue(e.scale);
      evaluation =
        c === 1
          ? { behaviour: 'identity', factor: scalarValue(e.scale, defaults) }
          : { behaviour: 'scaled', factor: scalarValue(e.scale, defaults) };
    }
  }

  const trainFactor = bin('*', mask.q, scale);
  const ratio = evalFactor ? constantValue(bin('/', trainFactor, evalFactor)) : undefined;
  const expectationMismatch =
    evalFactor !== undefined &&
    ratio !== 1 &&
    (ratio !== undefined || constantValue(trainFactor) !== constantValue(evalFactor));

  const doc = docstring(node) + docstring(fn) + (cls ? docstring(cls) : '');
  const targetName = parts.tensors[0];
  const isWeight = /weight/i.test(targetName) || targetName.startsWith('self.');
  const perSample =
    mask.shape.granularity === 'sample' ||
    (mask.shape.granularity === 'conditional' &&
      (mask.shape.byCondition?.then === 'sample' || mask.shape.byCondition?.else === 'sample'));
  const clsName = cls?.childForFieldName('name')?.text ?? '';
  // Names, not docstrings, tell intent: a dropout's docstring may well say it is not drop path.
  const dropPathNamed = DROP_PATH_NAME.test(ownName) || DROP_PATH_NAME.test(clsName);
  // A mask for the whole batch (or a `FloatTensor(shape)` meant as one) on a branch the file adds to a residual.
  const onResidual =
    !dropPathNamed &&
    !perSample &&
    (mask.shape.granularity === 'batch' || !!mask.shape.bug) &&
    appliedToResidual(model, ownName, clsName, node.type === 'class_definition');
  const kind: RegularizerSemantics['kind'] =
    !isWeight && (dropPathNamed || perSample || onResidual) ? 'drop-path' : 'dropout';
  if (evaluation.behaviour === 'caller' && !dropPathNamed && !DROPOUT_NAME.test(ownName)) return undefined;
  let deliberateBatch = DELIBERATE_DOC.test(doc);
  walk(
    fn,
    (n) => {
      if (
        n.type === 'comparison_operator' &&
        n.namedChildren.some((c) => c?.type === 'string' && /^['"](batch|row)['"]$/.test(c.text))
      )
        deliberateBatch = true;
    },
    new Set(['comparison_operator']),
  );

  const application = parts.app && within(parts.app, fn) ? parts.app : null;
  const local = !trainEval.helperSites.has(mask.node);
  const keepSource = !local
    ? undefined
    : (mask.q.src ??
      (mask.q.k === 'bin' && mask.q.op === '-' && mask.q.l.k === 'num' && mask.q.l.v === 1 && mask.q.r.src
        ? `1 - ${atomSrc(mask.q.r.src)}`
        : undefined));
  return {
    name,
    node,
    kind,
    target: { name: targetName, isWeight },
    mask: {
      node: mask.node,
      granularity: mask.shape.granularity,
      shapeNode: mask.shape.node,
      byCondition: mask.shape.byCondition,
      shapeBug: mask.shape.bug,
    },
    keepProbability: scalarValue(mask.q, defaults),
    trainScale: { ...scalarValue(scale, defaults), switch: sw },
    evaluation,
    expectation: {
      train: scalarValue(trainFactor, defaults),
      eval: evalFactor ? scalarValue(evalFactor, defaults) : undefined,
    },
    expectationMismatch,
    deliberateBatch,
    application,
    scaleSite:
      parts.scaleSites.length === 1 &&
      parts.scaleSites[0].node.startIndex >= fn.startIndex &&
      parts.scaleSites[0].node.endIndex <= fn.endIndex
        ? parts.scaleSites[0]
        : null,
    defaults: Object.fromEntries(defaults),
    keepSource,
    inputSource: targetName,
  };
}

/** Is the function, method or class (its `forward`) called on a branch the file adds to a residual? */
function appliedToResidual(model: FileModel, ownName: string, clsName: string, isClass: boolean): boolean {
  const names = residualNames(model);
  if (isClass || (clsName && ownName === 'forward')) return names.has(clsName);
  return clsName ? names.has(`.${ownName}`) : names.has(ownName);
}

function atomSrc(text: string): string {
  return /^[\w.]+$|^\(.*\)$/.test(text) ? text : `(${text})`;
}

const recordCache = new WeakMap<FileModel, Map<number, RegularizerSemantics | null>>();

/**
 * `deriveRegularizerSemantics` for a function or class, computed once per file model (the rules RG003–RG005 share it).
 */
export function regularizerOf(model: FileModel, node: Node): RegularizerSemantics | undefined {
  let byNode = recordCache.get(model);
  if (!byNode) {
    recordCache.set(model, (byNode = new Map()));
    // A file that draws no random numbers at all has no hand-written regularizer: one search, then nothing.
    if (!model.file.mentions(RANDOM_TEXT)) byNode.set(-1, null);
  }
  if (byNode.has(-1)) return undefined;
  let s = byNode.get(node.id);
  if (s === undefined) {
    s = mayBeRegularizer(model, node) ? (deriveRegularizerSemantics(model, node) ?? null) : null;
    byNode.set(node.id, s);
  }
  return s ?? undefined;
}

/**
 * Every hand-written regularizer of the file: module-level functions, methods, and module classes (their `forward`).
 */
export function handWrittenRegularizers(model: FileModel): RegularizerSemantics[] {
  const out: RegularizerSemantics[] = [];
  const visit = (block: Node | null) => {
    for (const stmt of block?.namedChildren ?? []) {
      const def = stmt?.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
      if (def?.type === 'function_definition') {
        const s = regularizerOf(model, def);
        if (s) out.push(s);
      } else if (def?.type === 'class_definition') {
        const s = regularizerOf(model, def);
        if (s) out.push(s);
        visit(def.childForFieldName('body'));
      }
    }
  };
  visit(model.file.root);
  return out;
}

/**
 * A cheap test before the symbolic evaluation: the code draws random numbers, or calls a function of this file
 * that does (helpers split across functions, a module whose `forward` calls the file's `drop_path`).
 */
export function mayBeRegularizer(model: FileModel, def: Node): boolean {
  const text = def.text;
  if (RANDOM_TEXT.test(text)) return true;
  const helpers = randomHelpers(model);
  if (helpers !== null && helpers.test(text)) return true;
  // A method that calls a sibling method drawing random numbers (`x * self._mask(x)`).
  const cls = def.type === 'function_definition' ? enclosingClass(def) : null;
  return !!cls && randomMethods(model, cls).some((name) => text.includes(`.${name}(`));
}

const methodCache = new WeakMap<FileModel, Map<number, string[]>>();

/** Names of the class's methods that draw random numbers, once per class: test classes have hundreds of methods. */
function randomMethods(model: FileModel, cls: Node): string[] {
  let byClass = methodCache.get(model);
  if (!byClass) methodCache.set(model, (byClass = new Map()));
  let names = byClass.get(cls.id);
  if (!names) {
    names = [];
    for (const stmt of cls.childForFieldName('body')?.namedChildren ?? []) {
      const method = stmt?.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
      const name = method?.type === 'function_definition' ? method.childForFieldName('name')?.text : undefined;
      if (name && RANDOM_TEXT.test(method!.text)) names.push(name);
    }
    byClass.set(cls.id, names);
  }
  return names;
}

const helperCache = new WeakMap<FileModel, RegExp | null>();

/** One pattern for the calls of every function of the file that draws random numbers. */
function randomHelpers(model: FileModel): RegExp | null {
  let pattern = helperCache.get(model);
  if (pattern === undefined) {
    const names = [...model.functions.values()].filter((f) => drawsRandom(f.node)).map((f) => f.name);
    pattern = names.length ? new RegExp(`\\b(?:${names.join('|')})\\s*\\(`) : null;
    helperCache.set(model, pattern);
  }
  return pattern;
}

/** Does a definition's text draw random numbers? Asked of every function and class of the file on every edit. */
const randomDraws = new TextMemo<boolean>();

function drawsRandom(def: Node): boolean {
  return randomDraws.ofNode(def, () => RANDOM_TEXT.test(def.ownText));
}

/** Does a function's text (or a class's, for its `__init__`) declare a parameter with a True/False default? */
const hasSwitch = new TextMemo<boolean>();

/**
 * What outside a function can change its hand-written-regularizer findings: the helpers of the file that draw
 * random numbers, and every call that sets a rescale switch. The analyzer adds this to its context signature.
 */
export function regularizerContext(model: FileModel): string {
  const parts: string[] = [];
  const switchOwners: string[] = [];
  // A value read from a tree with a syntax error may depend on more than the text (error recovery looks around).
  const cacheable = !model.file.root.hasError;
  const declaresSwitch = (def: Node | null) => !!def && parameters(def).some((p) => p.boolDefault !== undefined);
  for (const fn of model.functions.values()) {
    if (!drawsRandom(fn.node)) continue;
    parts.push(fn.node.ownText);
    if (hasSwitch.ofNode(fn.node, () => declaresSwitch(fn.node), cacheable)) switchOwners.push(fn.name);
  }
  for (const cls of model.classes.values()) {
    // The text test first: it is a string search, while reading `__init__`'s parameters materialises nodes.
    if (!drawsRandom(cls.node)) continue;
    if (hasSwitch.ofNode(cls.node, () => declaresSwitch(initOf(cls.node)), cacheable)) switchOwners.push(cls.name);
  }
  for (const name of switchOwners) for (const c of callsOf(model, name)) parts.push(c.text);
  // Which of them the file applies to a residual branch (a batch-wide mask there is drop path, RG003).
  if (parts.length > 0) parts.push([...residualNames(model)].sort().join(','));
  return parts.join('\u0002');
}

/** The hand-written regularizer whose function or class name is at the offset (what the hover explains). */
export function regularizerAtOffset(model: FileModel, offset: number): RegularizerSemantics | undefined {
  const node = model.file.root.descendantForIndex(offset);
  const def = node?.parent;
  if (node?.type !== 'identifier' || !def || (def.type !== 'function_definition' && def.type !== 'class_definition'))
    return undefined;
  if (def.childForFieldName('name')?.id !== node.id) return undefined;
  return regularizerOf(model, def);
}
