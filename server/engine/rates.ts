import type { ModuleClass } from './classes';
import type { FileModel } from './model';
import type { Node } from './parser';
import {
  callArguments,
  constructorParameters,
  findArgument,
  numericLiteral,
  parameterList,
  walk,
  CALL_NODES,
} from './syntax';

/**
 * Is a regularizer's rate 0 unless someone raises it? A rate that is a literal 0, or a parameter or config field
 * whose default is a literal 0 that nothing in the file sets to anything else, makes a mistake at that site latent:
 * it does nothing until the rate is raised. Whatever this module cannot read (a computed value, a caller that
 * passes a variable, a config it cannot find) counts as a non-zero rate: the finding then keeps its severity.
 */
export interface RateReading {
  /** The literal 0 the rate defaults to, when every value the file gives it is 0; null otherwise. */
  latentAt: Node | null;
  /** The reading looked at code outside the site's class (callers, config classes): the finding must be recomputed. */
  fileWide: boolean;
}

interface Values {
  zeros: Node[];
  /** Some value may be non-zero (a non-zero literal, or one we cannot read). */
  other: boolean;
  fileWide: boolean;
}

const ACTIVE: Values = { zeros: [], other: true, fileWide: false };

/** Reads the rate expression of a site in `method` (a method of `cls`); `null`: the library default, never 0. */
export function readRate(model: FileModel, rate: Node | null, cls: ModuleClass, method: Node): RateReading {
  if (!rate) return { latentAt: null, fileWide: false };
  const v = values(model, rate, cls, method, 0);
  return { latentAt: !v.other && v.zeros.length > 0 ? v.zeros[0] : null, fileWide: v.fileWide };
}

function join(parts: Values[]): Values {
  return {
    zeros: parts.flatMap((p) => p.zeros),
    other: parts.length === 0 || parts.some((p) => p.other),
    fileWide: parts.some((p) => p.fileWide),
  };
}

function literal(node: Node): Values {
  const n = numericLiteral(node);
  if (n === 0) return { zeros: [node], other: false, fileWide: false };
  return ACTIVE;
}

function values(model: FileModel, expr: Node, cls: ModuleClass, method: Node, depth: number, bound?: Bound): Values {
  if (depth > 4) return ACTIVE;
  if (expr.type === 'parenthesized_expression' && expr.namedChild(0))
    return values(model, expr.namedChild(0)!, cls, method, depth, bound);
  if (numericLiteral(expr) !== undefined) return literal(expr);
  if (expr.type === 'identifier') return parameterValues(model, expr.text, cls, method, depth, bound);
  if (expr.type === 'attribute') {
    const object = expr.childForFieldName('object');
    const name = expr.childForFieldName('attribute')?.text;
    if (!object || !name) return ACTIVE;
    const selfName = parameterList(method)[0]?.name;
    if (object.type === 'identifier' && object.text === selfName) return attributeValues(model, name, cls, depth);
    // `cfg.dropout`, `config.hidden_dropout_prob`, `args.dropout`: the defaults the file gives that field.
    return configValues(model, name);
  }
  return ACTIVE;
}

/**
 * `self.<name>`: what `__init__` assigns to it. A class that leaves it to its base class in the file
 * (torchvision's `ShiftedWindowAttentionV2` passes `dropout=dropout` to `super().__init__`, whose `__init__` sets
 * `self.dropout = dropout`) gets the base's value with the parameters its `super().__init__(…)` call binds.
 */
function attributeValues(model: FileModel, name: string, cls: ModuleClass, depth: number, bound?: Bound): Values {
  const init = cls.members.methods.get('__init__');
  if (!init) return ACTIVE;
  const assigned = cls.members.submodules.filter((s) => s.name === name);
  if (assigned.length > 0) return join(assigned.map((s) => values(model, s.value, cls, init, depth + 1, bound)));
  const base = cls.bases.length === 1 ? model.classes.get(cls.bases[0]) : undefined;
  const baseInit = base?.members.methods.get('__init__');
  const call = base && baseInit && depth < 4 ? baseInitCall(init, base.name) : null;
  if (!base || !baseInit || !call) return ACTIVE;
  const passed = bindArguments(call.call, baseInit, call.explicitSelf, (arg) =>
    values(model, arg, cls, init, depth + 1, bound),
  );
  return { ...attributeValues(model, name, base, depth + 1, passed), fileWide: true };
}

/** The parameters of a method as one known call binds them; a parameter the call leaves out keeps its default. */
type Bound = Map<string, Values>;

/** `super().__init__(…)`, `super(Cls, self).__init__(…)` or `Base.__init__(self, …)` in an `__init__`. */
function baseInitCall(init: Node, base: string): { call: Node; explicitSelf: boolean } | null {
  let found: { call: Node; explicitSelf: boolean } | null = null;
  walk(
    init,
    (n) => {
      if (found || n.type !== 'call') return;
      const explicitSelf = initCallOf(n, base);
      if (explicitSelf !== null) found = { call: n, explicitSelf };
    },
    CALL_NODES,
  );
  return found;
}

/** Is the call `super(…).__init__(…)` (false) or `<base>.__init__(self, …)` (true)? Null for any other call. */
function initCallOf(call: Node, base: string): boolean | null {
  const fn = call.childForFieldName('function');
  if (fn?.type !== 'attribute' || fn.childForFieldName('attribute')?.text !== '__init__') return null;
  const object = fn.childForFieldName('object');
  if (object?.type === 'call' && object.childForFieldName('function')?.text === 'super') return false;
  if (object?.type === 'identifier' && object.text === base) return true;
  return null;
}

/**
 * What a call passes for each parameter of `def` after `self` (`Base.__init__(self, …)` passes `self` first). A
 * `*args` or `**kwargs` in the call may pass any parameter it does not name: those may be anything.
 */
function bindArguments(call: Node, def: Node, explicitSelf: boolean, read: (arg: Node) => Values): Bound {
  const out: Bound = new Map();
  for (const p of constructorParameters(def)) {
    const arg = findArgument(call, explicitSelf && p.position >= 0 ? { ...p, position: p.position + 1 } : p);
    if (arg === 'unknown') out.set(p.name, ACTIVE);
    else if (arg !== 'absent') out.set(p.name, read(arg.node));
  }
  return out;
}

/**
 * A parameter of the method: its default, and what the file's calls of the method or class pass instead; with
 * `bound`, the one call that is known to run it (a subclass's `super().__init__(…)`) replaces those calls.
 */
function parameterValues(
  model: FileModel,
  name: string,
  cls: ModuleClass,
  method: Node,
  depth: number,
  bound?: Bound,
): Values {
  const params = parameterList(method);
  const index = params.findIndex((p) => p.name === name);
  if (index < 0) return ACTIVE;
  const param = params[index];
  const given = bound?.get(name);
  if (given) return given;
  if (!param.default) return ACTIVE;
  const own = values(model, param.default, cls, method, depth + 1);
  if (own.other || bound) return own;
  const methodName = method.childForFieldName('name')?.text ?? '';
  const callers = passedValues(model, cls, methodName, name, param.keywordOnly ? -1 : index - 1);
  return join([own, callers]);
}

/** What the file's calls of `Class(…)` (for `__init__`) or `….method(…)` pass for one parameter. */
function passedValues(model: FileModel, cls: ModuleClass, methodName: string, name: string, position: number): Values {
  const out: Values[] = [];
  walk(
    model.file.root,
    (n) => {
      if (n.type !== 'call') return;
      const fn = n.childForFieldName('function');
      const callee =
        fn?.type === 'identifier' ? fn.text : fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : '';
      const wanted = methodName === '__init__' ? cls.name : methodName;
      // A subclass's `super().__init__(…)` or `Base.__init__(self, …)` runs the base's `__init__` too.
      const baseInit = methodName === '__init__' ? initCallOf(n, cls.name) : null;
      if (callee !== wanted && (baseInit === null || (!baseInit && !inSubclassOf(model, n, cls.name)))) return;
      let positional = baseInit ? -1 : 0;
      for (const arg of callArguments(n)) {
        if (arg.type === 'keyword_argument') {
          if (arg.childForFieldName('name')?.text === name) out.push(passed(arg.childForFieldName('value'), name));
        } else if (arg.type === 'list_splat' || arg.type === 'dictionary_splat') {
          out.push(ACTIVE);
        } else if (positional++ === position) out.push(passed(arg, name));
      }
    },
    CALL_NODES,
  );
  return { ...join([{ zeros: [], other: false, fileWide: true }, ...out]), fileWide: true };
}

/** Is the node inside a class of the file that names `base` among its bases? */
function inSubclassOf(model: FileModel, node: Node, base: string): boolean {
  for (let n = node.parent; n; n = n.parent)
    if (n.type === 'class_definition') {
      const name = n.childForFieldName('name')?.text;
      return !!name && !!model.classes.get(name)?.bases.includes(base);
    }
  return false;
}

/** A value a caller passes: a literal, or the caller's own parameter of the same name passed through (neutral). */
function passed(value: Node | null, name: string): Values {
  if (!value) return ACTIVE;
  if (numericLiteral(value) !== undefined) return literal(value);
  if (value.type === 'identifier' && value.text === name) return { zeros: [], other: false, fileWide: true };
  if (value.type === 'attribute' && value.childForFieldName('attribute')?.text === name)
    return { zeros: [], other: false, fileWide: true };
  return ACTIVE;
}

/** Config defaults by field name, per file model. */
const configMemo = new WeakMap<FileModel, Map<string, Values>>();

/**
 * Every value the file gives a config field: `name: float = 0.0` or `name = 0.0` in a class body, `self.name = 0.0`,
 * `name=0.0` as a keyword argument, `"name": 0.0` in a dict, `add_argument("--name", default=0.0)`. Passing the
 * field on (`name=cfg.name`) gives it no value, nor does assigning it a call (`self.name = nn.Dropout(…)`, the
 * site itself); anything else that is not a literal may be non-zero.
 */
function configValues(model: FileModel, name: string): Values {
  let memo = configMemo.get(model);
  if (!memo) configMemo.set(model, (memo = new Map()));
  const cached = memo.get(name);
  if (cached) return cached;
  const out: Values[] = [];
  const dashed = new Set([`--${name}`, `--${name.replace(/_/g, '-')}`]);
  walk(
    model.file.root,
    (n) => {
      if (n.type === 'assignment') {
        const left = n.childForFieldName('left');
        const right = n.childForFieldName('right');
        const named =
          (left?.type === 'identifier' && left.text === name && n.parent?.parent?.type === 'class_definition') ||
          (left?.type === 'attribute' && left.childForFieldName('attribute')?.text === name);
        // `self.dropout = nn.Dropout(cfg.dropout)` builds the site: it gives the field no value.
        if (named && right && right.type !== 'call') out.push(passed(right, name));
      } else if (n.type === 'keyword_argument') {
        if (n.childForFieldName('name')?.text === name) out.push(passed(n.childForFieldName('value'), name));
      } else if (n.type === 'pair') {
        const key = n.childForFieldName('key');
        if (key?.type === 'string' && unquote(key.text) === name) out.push(passed(n.childForFieldName('value'), name));
      } else if (n.type === 'call') {
        const first = callArguments(n)[0];
        if (first?.type === 'string' && dashed.has(unquote(first.text))) {
          const def = callArguments(n).find((a) => a.childForFieldName('name')?.text === 'default');
          out.push(def ? passed(def.childForFieldName('value'), name) : ACTIVE);
        }
      }
    },
    CONFIG_NODES,
  );
  const found = out.length === 0 ? ACTIVE : join(out);
  const result = { ...found, fileWide: true };
  memo.set(name, result);
  return result;
}

const CONFIG_NODES = new Set(['assignment', 'keyword_argument', 'pair', 'call']);

function unquote(text: string): string {
  return text.replace(/^[rbuRBU]*(['"]{1,3})/, '').replace(/(['"]{1,3})$/, '');
}
