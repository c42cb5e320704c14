/**
 * What the symbolic evaluator and the entry points read straight off the syntax tree or the text, without
 * evaluating anything: parameters and their defaults, a class's methods and `__init__` assignments, the calls of a
 * name in the file, conditions that only guard a corner case, and the text patterns of random draws.
 */
import type { FileModel } from '../model';
import { firstParameter } from '../classes';
import type { Node } from '../parser';
import { callArguments, numericLiteral, parameterList, walk } from '../syntax';

/** The draws a mask is built from; a function without one (or a call of a helper with one) is skipped unread. */
export const RANDOM_TEXT = /\b(?:rand(?:_like)?|bernoulli_?|uniform_?|binomial|random)\s*\(/;
/**
 * Tensor methods that return their receiver's values (casts, copies, device moves): the evaluator and the fixes read
 * through them.
 */
export const PASS_THROUGH = new Set([
  'float',
  'half',
  'double',
  'bool',
  'int',
  'long',
  'to',
  'type',
  'type_as',
  'detach',
  'cuda',
  'cpu',
  'contiguous',
  'clone',
  'expand_as',
  'item',
  'requires_grad_',
]);

export function keywordSize(call: Node): Node | null {
  for (const a of callArguments(call)) {
    if (a.type === 'keyword_argument' && ['size', 'shape'].includes(a.childForFieldName('name')?.text ?? ''))
      return a.childForFieldName('value');
  }
  return null;
}

export function key(node: Node): string | null {
  return node.type === 'identifier' || node.type === 'attribute' ? node.text : null;
}

export function isTrainingName(name: string): boolean {
  return name === 'training' || name === 'train' || name === 'is_training';
}

export function splitAnd(cond: Node): Node[] {
  if (cond.type === 'parenthesized_expression' && cond.namedChild(0)) return splitAnd(cond.namedChild(0)!);
  if (cond.type === 'boolean_operator' && cond.childForFieldName('operator')?.text === 'and')
    return [...splitAnd(cond.childForFieldName('left')!), ...splitAnd(cond.childForFieldName('right')!)];
  return [cond];
}

/** `keep_prob > 0`, `p < 1`, `drop_prob != 1`: guards against dividing by zero, true for any useful rate. */
export function isPositivityGuard(cond: Node): boolean {
  if (cond.type !== 'comparison_operator' || cond.namedChildCount !== 2) return false;
  const op = cond.child(1)?.text;
  const r = numericLiteral(cond.namedChild(1));
  if (r === 0 && (op === '>' || op === '!=')) return true;
  if (r === 1 && (op === '<' || op === '!=')) return true;
  return false;
}

interface Param {
  name: string;
  defaultNode: Node | null;
  default?: number;
  boolDefault?: boolean;
}

export function parameters(fn: Node): Param[] {
  return parameterList(fn).map(({ name, default: value }) => ({
    name,
    defaultNode: value,
    default: value?.type === 'true' || value?.type === 'false' ? undefined : numericLiteral(value),
    boolDefault: value?.type === 'true' ? true : value?.type === 'false' ? false : undefined,
  }));
}

export function enclosingClass(fn: Node): Node | null {
  const p = fn.parent?.type === 'decorated_definition' ? fn.parent.parent : fn.parent;
  return p?.type === 'block' && p.parent?.type === 'class_definition' ? p.parent : null;
}

export function methodOf(cls: Node, name: string): Node | null {
  for (const stmt of cls.childForFieldName('body')?.namedChildren ?? []) {
    const def = stmt?.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
    if (def?.type === 'function_definition' && def.childForFieldName('name')?.text === name) return def;
  }
  return null;
}

export function initOf(cls: Node): Node | null {
  return methodOf(cls, '__init__');
}

/** The value of the one `self.<attr> = value` in `__init__`, when there is exactly one. */
export function selfAssignment(init: Node, attr: string): Node | null {
  const selfName = firstParameter(init);
  let found: Node | null = null;
  let count = 0;
  walk(init, (n) => {
    if (n.type !== 'assignment') return true;
    const left = n.childForFieldName('left');
    if (
      left?.type === 'attribute' &&
      left.childForFieldName('object')?.text === selfName &&
      left.childForFieldName('attribute')?.text === attr
    ) {
      count++;
      found = n.childForFieldName('right');
    }
    return true;
  });
  return count === 1 ? found : null;
}

/** Does any call of `callee` in the file pass something other than a literal False (or 0 / None) for `param`? */
export function callersEnable(
  model: FileModel,
  callee: string,
  param: string,
  params: Param[],
  isMethod: boolean,
): boolean {
  const position = params.findIndex((p) => p.name === param) - (isMethod ? 1 : 0);
  for (const call of callsOf(model, callee)) {
    const args = callArguments(call);
    let value: Node | null = null;
    let i = 0;
    for (const a of args) {
      if (a.type === 'keyword_argument') {
        if (a.childForFieldName('name')?.text === param) value = a.childForFieldName('value');
      } else if (a.type === 'list_splat' || a.type === 'dictionary_splat') return true;
      else if (i++ === position) value = a;
    }
    if (value && !(value.type === 'false' || value.type === 'none' || numericLiteral(value) === 0)) return true;
  }
  return false;
}

const callCache = new WeakMap<FileModel, Map<string, Node[]>>();

/**
 * Calls of a name of this file (`drop_path(...)`, `DropPath(...)`, `layers.drop_path(...)`), found by searching the
 * text for the name: far cheaper than visiting every call of a large file.
 */
export function callsOf(model: FileModel, name: string): Node[] {
  let byName = callCache.get(model);
  if (!byName) callCache.set(model, (byName = new Map()));
  const cached = byName.get(name);
  if (cached) return cached;
  const out: Node[] = [];
  const text = model.file.text;
  const root = model.file.root;
  for (let i = text.indexOf(name); i !== -1; i = text.indexOf(name, i + name.length)) {
    const node = root.descendantForIndex(i, i + name.length);
    if (node?.type !== 'identifier' || node.text !== name) continue;
    const callee =
      node.parent?.type === 'attribute' && node.parent.childForFieldName('attribute')?.id === node.id
        ? node.parent
        : node;
    const call = callee.parent;
    if (call?.type === 'call' && call.childForFieldName('function')?.id === callee.id) out.push(call);
  }
  byName.set(name, out);
  return out;
}

const residualCache = new WeakMap<FileModel, ReadonlySet<string>>();

/**
 * What the file adds to something else (`x + f(x)`, `x += self.drop(y)`): the names of the functions called there,
 * `.attr` for `self.attr(…)`, and the class name `C` when `self.attr` was built as `C(…)`. A random mask applied to
 * such a branch is drop path, whatever its name. One walk per file model.
 */
export function residualNames(model: FileModel): ReadonlySet<string> {
  const cached = residualCache.get(model);
  if (cached) return cached;
  const added = new Set<string>();
  const built = new Map<string, string[]>();
  walk(
    model.file.root,
    (n) => {
      if (n.type === 'assignment') {
        const left = n.childForFieldName('left');
        const right = n.childForFieldName('right');
        const callee = right?.type === 'call' ? right.childForFieldName('function') : null;
        if (left?.type === 'attribute' && callee?.type === 'identifier') {
          const attr = left.childForFieldName('attribute')?.text ?? '';
          built.set(attr, [...(built.get(attr) ?? []), callee.text]);
        }
        return;
      }
      if (n.type !== 'call') return;
      let outer: Node = n;
      while (outer.parent?.type === 'parenthesized_expression') outer = outer.parent;
      const parent = outer.parent;
      const adds =
        (parent?.type === 'binary_operator' && parent.childForFieldName('operator')?.text === '+') ||
        (parent?.type === 'augmented_assignment' &&
          parent.childForFieldName('operator')?.text === '+=' &&
          parent.childForFieldName('right')?.id === outer.id);
      if (!adds) return;
      const fn = n.childForFieldName('function');
      if (fn?.type === 'identifier') added.add(fn.text);
      else if (fn?.type === 'attribute') added.add(`.${fn.childForFieldName('attribute')?.text ?? ''}`);
    },
    new Set(['assignment', 'call']),
  );
  const out = new Set(added);
  for (const [attr, classes] of built) if (added.has(`.${attr}`)) for (const c of classes) out.add(c);
  residualCache.set(model, out);
  return out;
}
