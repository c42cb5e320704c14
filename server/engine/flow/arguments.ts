import type { Parameter } from '../catalog';
import type { Node } from '../parser';
import { ancestor, type ArgumentLookup, callArguments, findArgument, walk } from '../syntax';

/**
 * The arguments a module is built with, as `__init__` code writes them: a call's own arguments, a `**dd` splat of a
 * dict the same function builds (timm's `dd = {"device": device, "dtype": dtype}`, mamba's `factory_kwargs`), and
 * the keywords a `functools.partial` fixed beforehand (`ff_layer = partial(FeedForward, dropout=p)`). And what a
 * local name holds, when the function assigns it once (`ff_cls = MoE if use_moe else FeedForward`).
 */

/** Looks up the argument a parameter receives. */
export type Arguments = (param: Parameter) => ArgumentLookup;

/** The arguments of `call`, with `partial`'s keywords behind them when the callee was made by `partial`. */
export function argumentsOf(call: Node, partial?: Node): Arguments {
  return (param) => {
    const own = throughSplats(call, param);
    if (own !== 'absent' || !partial) return own;
    // `partial(FeedForward, dropout=p)(dim)`: the keywords it fixed, by name only.
    return throughSplats(partial, { name: param.name, position: -1 });
  };
}

/** `findArgument`, reading `**name` splats of dict literals the enclosing function assigns once. */
function throughSplats(call: Node, param: Parameter): ArgumentLookup {
  const found = findArgument(call, param);
  if (found !== 'unknown') return found;
  for (const arg of callArguments(call)) {
    if (arg.type === 'list_splat') return 'unknown';
    if (arg.type !== 'dictionary_splat') continue;
    const name = arg.namedChild(0);
    const dict = name?.type === 'identifier' ? localValue(name.text, call) : undefined;
    const entries = dict ? dictEntries(dict) : undefined;
    if (!entries) return 'unknown';
    const value = entries.get(param.name);
    if (value) return { node: value, keyword: null };
  }
  return 'absent';
}

/**
 * The expression a local name of the enclosing function is assigned, when it is assigned exactly once there (and is
 * not a parameter: a parameter may hold anything).
 */
export function localValue(name: string, at: Node): Node | undefined {
  const fn = ancestor(at, ['function_definition']);
  const body = fn?.childForFieldName('body');
  if (!fn || !body) return undefined;
  const params = fn.childForFieldName('parameters')?.text ?? '';
  if (new RegExp(`\\b${name}\\b`).test(params)) return undefined;
  const values: Node[] = [];
  let other = false;
  walk(body, (n) => {
    if (n.type === 'function_definition' || n.type === 'class_definition' || n.type === 'lambda') return false;
    if (n.type === 'assignment' || n.type === 'augmented_assignment' || n.type === 'for_statement') {
      const left = n.childForFieldName('left');
      if (left?.type === 'identifier' && left.text === name) {
        const right = n.childForFieldName('right');
        if (n.type === 'assignment' && right) values.push(right);
        else other = true;
      } else if (left && left.type !== 'identifier' && new RegExp(`\\b${name}\\b`).test(left.text)) other = true;
    }
  });
  // `dd.update(drop=0.1)`: a dict changed in place holds more than its literal.
  if (new RegExp(`\\b${name}\\s*\\.\\s*(update|setdefault|pop|popitem|clear)\\s*\\(`).test(body.text)) return undefined;
  return values.length === 1 && !other ? values[0] : undefined;
}

/** `{"device": device, "dtype": dtype}` or `dict(device=device, dtype=dtype)`: its entries by key. */
export function dictEntries(value: Node): Map<string, Node> | undefined {
  const entries = new Map<string, Node>();
  if (value.type === 'call' && value.childForFieldName('function')?.text === 'dict') {
    for (const a of callArguments(value)) {
      const key = a.type === 'keyword_argument' ? a.childForFieldName('name')?.text : undefined;
      const v = a.childForFieldName('value');
      if (!key || !v) return undefined;
      entries.set(key, v);
    }
    return entries;
  }
  if (value.type !== 'dictionary') return undefined;
  for (const pair of value.namedChildren) {
    if (pair?.type === 'comment') continue;
    if (pair?.type !== 'pair') return undefined;
    const key = pair.childForFieldName('key');
    const v = pair.childForFieldName('value');
    if (key?.type !== 'string' || !v) return undefined;
    entries.set(key.text.replace(/^[rbuf]*["']|["']$/gi, ''), v);
  }
  return entries;
}
