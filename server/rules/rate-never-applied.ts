import { regularizer } from '../engine/catalog';
import type { ModuleClass } from '../engine/classes';
import type { FileModel } from '../engine/model';
import type { Node } from '../engine/parser';
import { initOf, isRateName, rateParameters, readsOf } from '../engine/rate-params';
import { lineOf, type Rule, type RuleContext } from '../engine/rule';
import { findArgument, numericLiteral, parameterList, walk, CALL_NODES } from '../engine/syntax';
import { notPassed, ownDefault, swallowed, wrongKey } from './rate-arguments';
import { rateNeverAppliedMeta } from './rate-never-applied-meta';

/**
 * RG012: a configured drop rate that never reaches a regularizer. The checks of a module's own rates (an unused
 * `__init__` parameter, a literal rate) are here; those of a call's arguments in rate-arguments.ts.
 */

export const rateNeverApplied: Rule = {
  meta: rateNeverAppliedMeta,
  create(context) {
    return {
      moduleClass(cls) {
        unusedParameters(context, cls);
      },
      call(node) {
        hardcodedRate(context, node);
        wrongKey(context, node);
        swallowed(context, node);
        notPassed(context, node);
        ownDefault(context, node);
      },
    };
  },
};

/** Calls that read the arguments of `__init__` without naming them: every parameter counts as used. */
const READS_ALL_ARGUMENTS = /\blocals\s*\(|\bvars\s*\(\s*\)|save_hyperparameters|\binspect\.|_getframe|currentframe/;

/** An `__init__` parameter named as a rate that its body never reads. */
function unusedParameters(context: RuleContext, cls: ModuleClass): void {
  if (!cls.isModule) return;
  const init = cls.members.methods.get('__init__');
  const body = init?.childForFieldName('body');
  if (!init || !body || isStub(body) || READS_ALL_ARGUMENTS.test(body.text)) return;
  for (const p of init.childForFieldName('parameters')?.namedChildren ?? []) {
    const nameNode = p?.type === 'identifier' ? p : (p?.childForFieldName('name') ?? p?.namedChild(0));
    if (!p || !nameNode || nameNode.type !== 'identifier') continue;
    const name = nameNode.text;
    if (name.startsWith('_') || !isRateName(name) || readsOf(body, name).length > 0) continue;
    if (saysDeliberate(p)) continue;
    context.report({
      node: nameNode,
      messageId: 'unusedParameter',
      data: { name, cls: cls.name, line: lineOf(init) },
    });
  }
}

/** Words of a comment that keeps a parameter on purpose: `dropout=0.0,  # Just to absorb the kwarg`. */
const DELIBERATE = /absorb|unused|ignored|not used|compat|placeholder|deprecated|kept for|no-?op|for api/i;

/** A comment on the parameter's line says it is accepted and not used on purpose. */
function saysDeliberate(param: Node): boolean {
  const row = param.endPosition.row;
  for (let n = param.nextSibling; n && n.startPosition.row === row; n = n.nextSibling)
    if (n.type === 'comment' && DELIBERATE.test(n.text)) return true;
  return false;
}

/** A body that only documents, passes or raises: an interface whose subclasses read the arguments. */
function isStub(body: Node): boolean {
  return body.namedChildren.every((s) => {
    if (!s || s.type === 'comment' || s.type === 'pass_statement' || s.type === 'raise_statement') return true;
    const inner = s.type === 'expression_statement' ? s.namedChild(0) : null;
    return inner?.type === 'string' || inner?.type === 'ellipsis';
  });
}

/**
 * A functional regularizer called with a literal rate where the module or function around it takes a rate that
 * either reaches no regularizer at all, or feeds another call of the same regularizer (so this one is the odd one
 * out). A literal SDPA `dropout_p=0.0` beside an `nn.Dropout(dropout)` on the output is another slot, not this.
 */
function hardcodedRate(context: RuleContext, call: Node): void {
  const model = context.model;
  const callee = model.imports.resolve(call.childForFieldName('function'));
  const spec = regularizer(callee);
  if (spec?.form !== 'function') return;
  const arg = findArgument(call, spec.rate);
  if (typeof arg === 'string' || numericLiteral(arg.node) === undefined) return;
  const configured = configuredRate(context, call, callee!);
  if (!configured) return;
  const fix = configured.replacement
    ? {
        applicability: 'unsafe' as const,
        title: `Use the configured rate \`${configured.replacement}\``,
        edits: [context.edit(arg.node, configured.replacement)],
      }
    : null;
  context.report({
    node: call,
    messageId: 'hardcodedRate',
    data: { literal: arg.node.text, rate: configured.name, owner: configured.owner, line: lineOf(configured.node) },
    fix,
    fileWide: true,
  });
}

interface ConfiguredRate {
  name: string;
  owner: string;
  /** The parameter that declares it. */
  node: Node;
  /** What the literal may be replaced with where the call is (the parameter, or `self.<attr>` holding it). */
  replacement: string | null;
}

/**
 * The ignored rate the code around a call is configured with: a rate parameter of an enclosing function (`def
 * resnet(…, dropout)` around a nested `block`), else of the `__init__` of the module class whose method holds the
 * call; only one that is never applied, or that feeds another call of `callee`.
 */
function configuredRate(context: RuleContext, call: Node, callee: string): ConfiguredRate | null {
  const model = context.model;
  const scope = context.moduleMethod(call);
  for (let p = call.parent; p; p = p.parent) {
    if (p.type === 'class_definition') break;
    if (p.type !== 'function_definition' || (scope && p.id === scope.method.id && scope.methodName !== '__init__'))
      continue;
    const body = p.childForFieldName('body');
    for (const param of rateParameters(p)) {
      const ignored = !body || readsOf(body, param.text).length === 0;
      if (ignored || (body && feedsSameRegularizer(model, body, call, callee, [param.text]))) {
        const owner = `${p.childForFieldName('name')?.text ?? 'function'}()`;
        return { name: param.text, owner, node: param, replacement: param.text };
      }
    }
    if (rateParameters(p).length > 0) return null;
  }
  if (!scope) return null;
  const init = initOf(model, scope.cls);
  const initBody = init?.childForFieldName('body');
  if (!init || !initBody) return null;
  for (const param of rateParameters(init)) {
    const stored = storedAs(init, param.text);
    const holders = [param.text, ...stored.map((a) => `${scope.selfName}.${a}`)];
    const ignored =
      readsOf(initBody, param.text).every((r) => isStoreToSelf(r, init)) &&
      stored.every((a) => (scope.cls.members.selfReferences.get(a) ?? []).every((ref) => isAssigned(ref)));
    if (!ignored && !feedsSameRegularizer(model, scope.cls.node, call, callee, holders)) continue;
    // `forward` reads the rate where `__init__` keeps it on `self`.
    const replacement = stored.length > 0 ? holders[1] : scope.methodName === '__init__' ? param.text : null;
    return { name: param.text, owner: scope.cls.name, node: param, replacement };
  }
  return null;
}

/** Another call of `callee` under `root` whose rate is one of `holders` (`p_dropout`, `self.p_dropout`). */
function feedsSameRegularizer(model: FileModel, root: Node, call: Node, callee: string, holders: string[]): boolean {
  const spec = regularizer(callee)!;
  let found = false;
  walk(
    root,
    (n) => {
      if (found || n.id === call.id) return;
      if (model.imports.resolve(n.childForFieldName('function')) !== callee) return;
      const arg = findArgument(n, spec.rate);
      // `self.p_dropout`, also inside `self.p_dropout if self.training else 0.0`.
      if (typeof arg !== 'string' && mentionsAny(arg.node, holders)) found = true;
    },
    CALL_NODES,
  );
  return found;
}

function mentionsAny(expr: Node, holders: readonly string[]): boolean {
  let found = false;
  walk(
    expr,
    (n) => {
      if (!holders.includes(n.text)) return true;
      // The `dropout` of `self.dropout` names an attribute, not the parameter.
      const parent = n.parent;
      found = !(parent?.type === 'attribute' && parent.childForFieldName('attribute')?.id === n.id);
      return !found;
    },
    NAMES,
  );
  return found;
}
const NAMES = new Set(['identifier', 'attribute']);

/** `self.<attr> = <read>`: the read only keeps the value. */
function isStoreToSelf(read: Node, init: Node): boolean {
  const parent = read.parent;
  const left = parent?.type === 'assignment' ? parent.childForFieldName('left') : null;
  return (
    parent?.childForFieldName('right')?.id === read.id &&
    left?.type === 'attribute' &&
    left.childForFieldName('object')?.text === parameterList(init)[0]?.name
  );
}

/** A `self.<attr>` reference that is an assignment's target. */
function isAssigned(ref: Node): boolean {
  const parent = ref.parent;
  return parent?.type === 'assignment' && parent.childForFieldName('left')?.id === ref.id;
}

/** The attributes `__init__` stores a parameter in as it is (`self.p_dropout = p_dropout`). */
function storedAs(init: Node, param: string): string[] {
  const selfName = parameterList(init)[0]?.name;
  const found: string[] = [];
  walk(
    init,
    (n) => {
      const left = n.childForFieldName('left');
      const right = n.childForFieldName('right');
      if (right?.type !== 'identifier' || right.text !== param || left?.type !== 'attribute') return;
      const attr = left.childForFieldName('attribute')?.text;
      if (attr && left.childForFieldName('object')?.text === selfName) found.push(attr);
    },
    ASSIGNMENTS,
  );
  return found;
}
const ASSIGNMENTS = new Set(['assignment']);
