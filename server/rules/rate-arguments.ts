import { regularizer } from '../engine/catalog';
import type { FileModel } from '../engine/model';
import type { Node } from '../engine/parser';
import {
  boundParameter,
  type CalleeSignature,
  calleeSignature,
  isRateName,
  isSpecificRateName,
  rateParameters,
  readsOf,
} from '../engine/rate-params';
import { lineOf, type RuleContext } from '../engine/rule';
import { callArguments, numericLiteral, parameterList, walk } from '../engine/syntax';
import { appendKeywordArgument } from '../engine/edits';

/**
 * RG012's checks of a call's arguments: a rate read from the wrong key, a rate keyword swallowed by `**kwargs`, a
 * submodule built without the rate its sibling branch passes. The rule is rate-never-applied.ts.
 */

/**
 * `lora_dropout=config.dropout` where `config.lora_dropout` exists: a specific rate fed from another key of the
 * same object, keyword or positional (`cls(…, opt.dropout)` into `attention_dropout`).
 */
export function wrongKey(context: RuleContext, call: Node): void {
  let signature: CalleeSignature | null | undefined;
  for (const arg of callArguments(call)) {
    const value = arg.type === 'keyword_argument' ? arg.childForFieldName('value') : arg;
    if (!value || arg.type === 'list_splat' || arg.type === 'dictionary_splat') continue;
    // Only `obj.<rate>` reads can be the wrong key: no other argument costs a look at the callee.
    const reads = attributeValues(value).filter((r) => isRateName(r.childForFieldName('attribute')?.text ?? ''));
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
    model.file.root,
    (n) => {
      if (found) return false;
      if (n.type === 'attribute') {
        if (n.childForFieldName('attribute')?.text === field && n.childForFieldName('object')?.text === object)
          found = n;
      } else if (n.type === 'assignment') {
        const left = n.childForFieldName('left');
        const cls = (n.parent ?? n).parent;
        const inClassBody = (cls ?? n).parent?.type === 'class_definition';
        if (left?.type === 'identifier' && left.text === field && inClassBody && !isModuleClass(model, cls!.parent))
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
export function swallowed(context: RuleContext, call: Node): void {
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
  const parent = use.parent;
  let key: Node | null | undefined = null;
  if (parent?.type === 'attribute' && parent.childForFieldName('object')?.id === use.id) {
    const method = parent.childForFieldName('attribute')?.text;
    const call = parent.parent;
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
export function notPassed(context: RuleContext, call: Node): void {
  const assignment = call.parent;
  if (assignment?.type !== 'assignment' || assignment.childForFieldName('right')?.id !== call.id) return;
  const scope = context.moduleMethod(call);
  if (scope?.methodName !== '__init__') return;
  const target = assignment.childForFieldName('left')?.text;
  const statement = assignment.parent;
  const block = statement && statement.parent;
  const branch = block && block.parent;
  const ifStatement = branch?.type === 'if_statement' ? branch : branch && branch.parent;
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

/**
 * A class of this file built in `__init__` without the rate `__init__` takes, whose own parameter of that name defaults
 * to a non-zero rate (`self.ff_proj = ff_proj or T5DenseReluDense()` in `T5LayerFF(dropout=…)`): the submodule drops
 * at its default whatever rate the parent is given, 0 included. Silent when the call passes any rate, or `*args` /
 * `**kwargs`.
 */
export function ownDefault(context: RuleContext, call: Node): void {
  const scope = context.moduleMethod(call);
  if (scope?.methodName !== '__init__' || !isConstruction(context.model, call)) return;
  const args = callArguments(call);
  if (args.some((a) => a.type === 'list_splat' || a.type === 'dictionary_splat')) return;
  const rates = rateParameters(scope.method);
  if (rates.length === 0 || passesRate(call, new Set(rates.map((r) => r.text)))) return;
  const signature = calleeSignature(context.model, call);
  if (!signature?.def) return;
  // The callee's parameters after `self`, in the order positional arguments bind them.
  const own = parameterList(signature.def).slice(-signature.params.length);
  const positional = args.filter((a) => a.type !== 'keyword_argument').length;
  for (const rate of rates) {
    const index = own.findIndex((p) => p.name === rate.text);
    const param = own[index];
    const value = numericLiteral(param?.default ?? null);
    if (!param?.default || value === undefined || value <= 0 || (!param.keywordOnly && index < positional)) continue;
    const text = `${rate.text}=${rate.text}`;
    const edit = appendKeywordArgument(context.file, call, text);
    context.report({
      node: call,
      messageId: 'ownDefault',
      data: {
        callee: call.childForFieldName('function')!.text,
        name: rate.text,
        value: param.default.text,
        cls: scope.cls.name,
        line: lineOf(rate),
      },
      fix: edit ? { applicability: 'unsafe', title: `Pass \`${text}\``, edits: [edit] } : null,
      fileWide: true,
    });
    return;
  }
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

/** Another branch's `target = Other(…, rate …)`, with the rates it passes (as the message shows them). */
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
      const passed = [...rates].filter((rate) => callArguments(right).some((arg) => readsOf(arg, rate).length > 0));
      if (passed.length > 0) return { call: right, rate: passed.map((r) => `\`${r}\``).join(', ') };
    }
  }
  return null;
}
