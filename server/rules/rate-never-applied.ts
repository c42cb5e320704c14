import { regularizer } from '../engine/catalog';
import type { ModuleClass } from '../engine/classes';
import type { FileModel } from '../engine/model';
import type { Node } from '../engine/parser';
import {
  boundParameter,
  type CalleeSignature,
  calleeSignature,
  initOf,
  isRateName,
  isSpecificRateName,
  readsOf,
} from '../engine/rate-params';
import { lineOf, type Rule, type RuleContext } from '../engine/rule';
import { callArguments, findArgument, numericLiteral, parameterList, parentOf, walk } from '../engine/syntax';
import { rateNeverAppliedMeta } from './rate-never-applied-meta';

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
  for (let p = parentOf(call); p; p = parentOf(p)) {
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
    CALLS,
  );
  return found;
}
const CALLS = new Set(['call']);

function mentionsAny(expr: Node, holders: readonly string[]): boolean {
  let found = false;
  walk(
    expr,
    (n) => {
      if (!holders.includes(n.text)) return true;
      // The `dropout` of `self.dropout` names an attribute, not the parameter.
      const parent = parentOf(n);
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
  const parent = parentOf(read);
  const left = parent?.type === 'assignment' ? parent.childForFieldName('left') : null;
  return (
    parent?.childForFieldName('right')?.id === read.id &&
    left?.type === 'attribute' &&
    left.childForFieldName('object')?.text === parameterList(init)[0]?.name
  );
}

/** A `self.<attr>` reference that is an assignment's target. */
function isAssigned(ref: Node): boolean {
  const parent = parentOf(ref);
  return parent?.type === 'assignment' && parent.childForFieldName('left')?.id === ref.id;
}

/** The rate-named parameters of a `def`, as name nodes. */
function rateParameters(def: Node): Node[] {
  const out: Node[] = [];
  for (const p of def.childForFieldName('parameters')?.namedChildren ?? []) {
    const name = p?.type === 'identifier' ? p : (p?.childForFieldName('name') ?? p?.namedChild(0));
    if (name?.type === 'identifier' && isRateName(name.text) && name.text !== 'self') out.push(name);
  }
  return out;
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

/**
 * `lora_dropout=config.dropout` where `config.lora_dropout` exists: a specific rate fed from another key of the
 * same object, keyword or positional (`cls(…, opt.dropout)` into `attention_dropout`).
 */
function wrongKey(context: RuleContext, call: Node): void {
  let signature: CalleeSignature | null | undefined;
  for (const arg of callArguments(call)) {
    const value = arg.type === 'keyword_argument' ? arg.childForFieldName('value') : arg;
    if (!value || arg.type === 'list_splat' || arg.type === 'dictionary_splat') continue;
    const reads = attributeValues(value);
    if (reads.length === 0) continue;
    if (arg.type !== 'keyword_argument' && signature === undefined) signature = calleeSignature(context.model, call);
    const param =
      arg.type === 'keyword_argument' ? boundParameterOf(arg) : signature && boundParameter(signature, call, arg);
    if (!param || !isSpecificRateName(param)) continue;
    for (const read of reads) {
      const object = read.childForFieldName('object');
      const key = read.childForFieldName('attribute');
      // `layerdrop=args.adaptor_layerdrop` feeds a more specific rate into a general parameter: deliberate.
      if (!object || !key || key.text.endsWith(param) || !isRateName(key.text)) continue;
      const field = fieldOf(context.model, object.text, param);
      if (!field) continue;
      context.report({
        node: read,
        messageId: 'wrongKey',
        data: { param, value: read.text, field: `${object.text}.${param}`, line: lineOf(field) },
        fix: {
          applicability: 'unsafe',
          title: `Read \`${object.text}.${param}\``,
          edits: [context.edit(key, param)],
        },
        fileWide: true,
      });
    }
  }
}

function boundParameterOf(arg: Node): string | null {
  return arg.childForFieldName('name')?.text ?? null;
}

/** The `obj.key` reads an argument's value can be: itself, either branch of `a if c else b`, `obj.key[0]`. */
function attributeValues(value: Node): Node[] {
  switch (value.type) {
    case 'attribute':
      return [value];
    case 'parenthesized_expression':
      return value.namedChild(0) ? attributeValues(value.namedChild(0)!) : [];
    case 'conditional_expression': {
      const parts = value.namedChildren.filter((n): n is Node => !!n);
      return [parts[0], parts[parts.length - 1]].flatMap(attributeValues);
    }
    case 'subscript': {
      const inner = value.childForFieldName('value');
      return inner ? attributeValues(inner) : [];
    }
    default:
      return [];
  }
}

/**
 * Where the file shows that `object.field` exists: a read of it, or the field declared in a config class (`field:
 * float = 0.0`), a dictionary key or a command-line option of that name.
 */
function fieldOf(model: FileModel, object: string, field: string): Node | null {
  let found: Node | null = null;
  const dashed = new Set([
    `'--${field}'`,
    `"--${field}"`,
    `'--${field.replace(/_/g, '-')}'`,
    `"--${field.replace(/_/g, '-')}"`,
  ]);
  walk(
    model.file.tree.rootNode,
    (n) => {
      if (found) return false;
      if (n.type === 'attribute') {
        if (n.childForFieldName('attribute')?.text === field && n.childForFieldName('object')?.text === object)
          found = n;
      } else if (n.type === 'assignment') {
        const left = n.childForFieldName('left');
        const cls = parentOf(parentOf(n) ?? n);
        const inClassBody = parentOf(cls ?? n)?.type === 'class_definition';
        if (left?.type === 'identifier' && left.text === field && inClassBody && !isModuleClass(model, parentOf(cls!)))
          found = left;
      } else if (n.type === 'pair') {
        const key = n.childForFieldName('key');
        if (key?.type === 'string' && key.text.slice(1, -1) === field) found = key;
      } else if (n.type === 'string' && dashed.has(n.text)) found = n;
      return true;
    },
    FIELD_NODES,
  );
  return found;
}
const FIELD_NODES = new Set(['attribute', 'assignment', 'pair', 'string']);

function isModuleClass(model: FileModel, def: Node | null): boolean {
  const name = def?.childForFieldName('name')?.text;
  return !!name && !!model.classes.get(name)?.isModule;
}

/** A rate keyword passed to a class or function of this file whose `**kwargs` never passes it on nor reads it. */
function swallowed(context: RuleContext, call: Node): void {
  const keywords = callArguments(call).filter(
    (a) => a.type === 'keyword_argument' && isRateName(a.childForFieldName('name')?.text ?? ''),
  );
  if (keywords.length === 0) return;
  const signature = calleeSignature(context.model, call);
  if (!signature?.def || !signature.kwargs) return;
  const body = signature.def.childForFieldName('body');
  if (!body) return;
  const uses = readsOf(body, signature.kwargs);
  for (const keyword of keywords) {
    const name = keyword.childForFieldName('name')!.text;
    if (signature.params.some((p) => p.name === name)) continue;
    if (uses.some((u) => !readsOtherKey(u, name))) continue;
    context.report({
      node: keyword,
      messageId: 'swallowed',
      data: { name, callee: signature.name, kwargs: signature.kwargs, line: lineOf(signature.def) },
      fileWide: true,
    });
  }
}

/** `kwargs.get("x")`, `kwargs.pop("x", …)`, `kwargs["x"]`, `"x" in kwargs` for a key other than `name`. */
function readsOtherKey(use: Node, name: string): boolean {
  const parent = parentOf(use);
  let key: Node | null | undefined = null;
  if (parent?.type === 'attribute' && parent.childForFieldName('object')?.id === use.id) {
    const method = parent.childForFieldName('attribute')?.text;
    const call = parentOf(parent);
    if ((method === 'get' || method === 'pop') && call?.type === 'call') key = callArguments(call)[0];
  } else if (parent?.type === 'subscript' && parent.childForFieldName('value')?.id === use.id) {
    key = parent.childForFieldName('subscript');
  } else if (parent?.type === 'comparison_operator' && parent.namedChild(1)?.id === use.id) {
    key = parent.namedChild(0);
  }
  return key?.type === 'string' && key.text.slice(1, -1) !== name;
}

/**
 * A submodule built on one branch of an `if` without any of the rates `__init__` takes, where another branch builds
 * the same attribute or variable with one (`attn = SelfAttention(…, attn_dropout=attn_dropout)` / `attn =
 * LinformerSelfAttention(…)`).
 */
function notPassed(context: RuleContext, call: Node): void {
  const scope = context.moduleMethod(call);
  if (scope?.methodName !== '__init__') return;
  const assignment = parentOf(call);
  if (assignment?.type !== 'assignment' || assignment.childForFieldName('right')?.id !== call.id) return;
  const target = assignment.childForFieldName('left')?.text;
  const statement = parentOf(assignment);
  const block = statement && parentOf(statement);
  const branch = block && parentOf(block);
  const ifStatement = branch?.type === 'if_statement' ? branch : branch && parentOf(branch);
  if (!target || ifStatement?.type !== 'if_statement') return;
  const rates = new Set(rateParameters(scope.method).map((n) => n.text));
  if (rates.size === 0 || !isConstruction(context.model, call) || passesRate(call, rates)) return;
  const sibling = siblingBuild(ifStatement, block!, target, rates);
  if (!sibling) return;
  const signature = calleeSignature(context.model, call);
  if (signature && signature.kwargs === null && !signature.params.some((p) => isRateName(p.name))) return;
  context.report({
    node: call,
    messageId: 'notPassed',
    data: {
      callee: call.childForFieldName('function')!.text,
      target,
      rate: sibling.rate,
      line: lineOf(sibling.call),
      cls: scope.cls.name,
    },
    fileWide: true,
  });
}

/** A call that builds a module: a capitalized class that is neither torch's nor a regularizer. */
function isConstruction(model: FileModel, call: Node): boolean {
  const fn = call.childForFieldName('function');
  const last = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn?.text;
  if (!last || !/^[A-Z]/.test(last)) return false;
  const qualified = model.imports.resolve(fn);
  return !qualified?.startsWith('torch.') && !regularizer(qualified);
}

/** The call passes one of the rates, or some rate by keyword. */
function passesRate(call: Node, rates: ReadonlySet<string>): boolean {
  for (const arg of callArguments(call)) {
    if (arg.type === 'keyword_argument' && isRateName(arg.childForFieldName('name')?.text ?? '')) return true;
    for (const rate of rates) if (readsOf(arg, rate).length > 0) return true;
  }
  return false;
}

/** Another branch's `target = Other(…, rate …)`, with the rate it passes. */
function siblingBuild(
  ifStatement: Node,
  own: Node,
  target: string,
  rates: ReadonlySet<string>,
): { call: Node; rate: string } | null {
  const blocks: Node[] = [];
  const consequence = ifStatement.childForFieldName('consequence');
  if (consequence) blocks.push(consequence);
  for (const clause of ifStatement.namedChildren) {
    if (clause?.type !== 'elif_clause' && clause?.type !== 'else_clause') continue;
    const body = clause.childForFieldName('consequence') ?? clause.childForFieldName('body');
    if (body) blocks.push(body);
  }
  for (const block of blocks) {
    if (block.id === own.id) continue;
    for (const stmt of block.namedChildren) {
      const assignment = stmt?.type === 'expression_statement' ? stmt.namedChild(0) : null;
      const right = assignment?.type === 'assignment' ? assignment.childForFieldName('right') : null;
      if (right?.type !== 'call' || assignment!.childForFieldName('left')?.text !== target) continue;
      for (const arg of callArguments(right))
        for (const rate of rates) if (readsOf(arg, rate).length > 0) return { call: right, rate };
    }
  }
  return null;
}
