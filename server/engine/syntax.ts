import type { Parameter } from './catalog';
import type { SyntaxNode as Node } from './syntax-tree';

/** The argument bound to a parameter: keyword first, then position. `unknown` when `*args`/`**kwargs` may bind it. */
export type ArgumentLookup = { node: Node; keyword: Node | null } | 'absent' | 'unknown';

export function callArguments(call: Node): Node[] {
  const args = call.childForFieldName('arguments');
  if (!args || args.type !== 'argument_list') return [];
  return args.namedChildren.filter((n): n is Node => n !== null && n.type !== 'comment');
}

export function findArgument(call: Node, param: Parameter): ArgumentLookup {
  let positional = 0;
  let splat = false;
  for (const arg of callArguments(call)) {
    if (arg.type === 'keyword_argument') {
      const name = arg.childForFieldName('name');
      const value = arg.childForFieldName('value');
      if (name?.text === param.name && value) return { node: value, keyword: arg };
    } else if (arg.type === 'list_splat' || arg.type === 'dictionary_splat') {
      splat = true;
    } else {
      if (positional === param.position) return { node: arg, keyword: null };
      positional++;
    }
  }
  return splat ? 'unknown' : 'absent';
}

/** A number literal's value, with unary minus and parentheses, or undefined when it is not a literal. */
export function numericLiteral(node: Node | null): number | undefined {
  if (!node) return undefined;
  switch (node.type) {
    case 'integer':
    case 'float': {
      const value = Number(node.text.replace(/_/g, '').replace(/[jJ]$/, ''));
      return Number.isFinite(value) ? value : undefined;
    }
    case 'unary_operator': {
      const operand = numericLiteral(node.childForFieldName('argument'));
      const op = node.childForFieldName('operator')?.text;
      if (operand === undefined) return undefined;
      return op === '-' ? -operand : op === '+' ? operand : undefined;
    }
    case 'parenthesized_expression':
      return numericLiteral(node.namedChild(0));
    default:
      return undefined;
  }
}

export function isTrueLiteral(node: Node | null): boolean {
  return node?.type === 'true' || (node?.type === 'integer' && node.text === '1');
}

export function isFalseLiteral(node: Node | null): boolean {
  return node?.type === 'false' || (node?.type === 'integer' && node.text === '0') || node?.type === 'none';
}

/** `walk`'s filter for visiting only calls. */
export const CALL_NODES: ReadonlySet<string> = new Set(['call']);

/**
 * Iterative pre-order walk: deeply nested code must not overflow the stack. `visit` returns false to skip
 * children. With `types`, only nodes of those types are visited.
 */
export function walk(
  root: Node,
  // biome-ignore lint/suspicious/noConfusingVoidType: a visitor returns false to skip a subtree, and nothing otherwise
  visit: (node: Node) => boolean | void,
  types?: { has(type: string): boolean },
): void {
  const stack: Node[] = [root];
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (types && !types.has(node.type) ? false : visit(node) === false) continue;
    const children = node.children;
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
}

/** Nearest ancestor (excluding the node) of one of the types, stopping at `stop` types. */
/** Does `node` lie inside `outer`'s text (`outer` itself included)? */
export function within(node: Node, outer: Node): boolean {
  return node.startIndex >= outer.startIndex && node.endIndex <= outer.endIndex;
}

export function ancestor(node: Node, types: readonly string[], stop: readonly string[] = []): Node | null {
  for (let p = node.parent; p; p = p.parent) {
    if (types.includes(p.type)) return p;
    if (stop.includes(p.type)) return null;
  }
  return null;
}

/**
 * Does the expression mention `self.training` or a bare `training` flag? Bounded so a pathological expression cannot
 * stall.
 */
export function mentionsTraining(node: Node, selfName = 'self'): boolean {
  let found = false;
  let budget = 2000;
  walk(node, (n) => {
    if (found || --budget < 0) return false;
    if (n.type === 'attribute') {
      const attr = n.childForFieldName('attribute');
      if (attr?.text === 'training' && n.childForFieldName('object')?.text === selfName) found = true;
    } else if (n.type === 'identifier' && (n.text === 'training' || n.text === 'is_training' || n.text === 'train')) {
      found = n.parent?.type !== 'keyword_argument' || n.parent.childForFieldName('value')?.id === n.id;
    }
    return !found;
  });
  return found;
}

export function isSelfTraining(node: Node | null, selfName: string): boolean {
  if (!node) return false;
  if (node.type === 'parenthesized_expression') return isSelfTraining(node.namedChild(0), selfName);
  return (
    node.type === 'attribute' &&
    node.childForFieldName('attribute')?.text === 'training' &&
    node.childForFieldName('object')?.text === selfName
  );
}

/**
 * Source text of an expression wrapped in parentheses unless it is already atomic for the purpose of `a if c else b` or
 * `1 - a`.
 */
export function atomText(node: Node): string {
  const atomic = [
    'identifier',
    'attribute',
    'call',
    'subscript',
    'integer',
    'float',
    'parenthesized_expression',
    'string',
    'true',
    'false',
    'none',
  ];
  return atomic.includes(node.type) ? node.text : `(${node.text})`;
}

/** The plain names an assignment or loop target binds (`h`, `out, bias, h`, `(a, [b, c])`), added to `out`. */
export function boundNames(target: Node, out: Set<string>): void {
  if (target.type === 'identifier') out.add(target.text);
  else if (TARGET_PATTERNS.has(target.type))
    for (const c of target.namedChildren) if (c && c.type !== 'comment') boundNames(c, out);
}
const TARGET_PATTERNS = new Set([
  'pattern_list',
  'tuple_pattern',
  'tuple',
  'list_pattern',
  'expression_list',
  'parenthesized_expression',
]);

/** The last dotted component of a name or attribute chain (`self.cfg.keep_prob` → `keep_prob`). */
export function lastName(node: Node): string | null {
  if (node.type === 'identifier') return node.text;
  if (node.type === 'attribute') return node.childForFieldName('attribute')?.text ?? null;
  return null;
}

/** A parameter of a `def`, in order, `self` included; `*args`, `**kwargs` and the `*` / `/` markers are left out. */
export interface ParameterInfo {
  name: string;
  default: Node | null;
  keywordOnly: boolean;
}

export function parameterList(def: Node): ParameterInfo[] {
  const out: ParameterInfo[] = [];
  let keywordOnly = false;
  for (const p of def.childForFieldName('parameters')?.namedChildren ?? []) {
    if (!p) continue;
    if (p.type === 'list_splat_pattern' || p.type === 'keyword_separator') {
      keywordOnly = true;
      continue;
    }
    if (p.type === 'positional_separator' || p.type === 'dictionary_splat_pattern' || p.type === 'comment') continue;
    const name = p.type === 'identifier' ? p.text : (p.childForFieldName('name') ?? p.namedChild(0))?.text;
    if (name) out.push({ name, default: p.childForFieldName('value'), keywordOnly });
  }
  return out;
}

/**
 * A method's parameters after `self` (`__init__`'s: what a construction binds), each with its place among the
 * positional arguments (-1: keyword-only).
 */
export function constructorParameters(method: Node): Parameter[] {
  let position = 0;
  return parameterList(method)
    .slice(1)
    .map((p) => ({ name: p.name, position: p.keywordOnly ? -1 : position++ }));
}

/** Methods that return the module they are called on, moved or cast: `nn.Dropout(p).to(device)` is a dropout. */
const PLACEMENTS = new Set(['to', 'cuda', 'cpu', 'half', 'float', 'double', 'bfloat16']);

/** The statements of a block (or the named children of any node), without its comments. */
export function blockStatements(block: Node | null | undefined): Node[] {
  return (block?.namedChildren ?? []).filter((n): n is Node => n !== null && n.type !== 'comment');
}

/** The expression inside any number of parentheses. */
export function withoutParentheses(node: Node | null): Node | null {
  return node?.type === 'parenthesized_expression' ? withoutParentheses(node.namedChild(0)) : node;
}

/** The constructor call under `….to(device)`, `….cuda()`: the expression itself when there is none. */
export function withoutPlacement(node: Node): Node {
  let value = node;
  for (;;) {
    const fn = value.type === 'call' ? value.childForFieldName('function') : null;
    const object = fn?.type === 'attribute' ? fn.childForFieldName('object') : null;
    if (!object || object.type !== 'call' || !PLACEMENTS.has(fn!.childForFieldName('attribute')?.text ?? ''))
      return value;
    value = object;
  }
}

/** The `**name` parameter of a `def`, or null. */
export function kwargsParameter(def: Node): string | null {
  for (const p of def.childForFieldName('parameters')?.namedChildren ?? [])
    if (p?.type === 'dictionary_splat_pattern') return p.namedChild(0)?.text ?? null;
  return null;
}
