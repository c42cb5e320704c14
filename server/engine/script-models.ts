/**
 * A training script's view of its models: which names hold an instance of a module class of this file that drops
 * (`model = Net().to(device)`), and where the script switches their mode, evaluates them and trains them. Read
 * statically from the script's functions and its top level, never run. RG015 asks it whether every evaluation
 * runs in evaluation mode, and whether training after an evaluation switches back.
 */
import { regularizer } from './catalog';
import type { ModuleClass } from './classes';
import type { FileModel } from './model';
import type { Node } from './parser';
import { regularizerOf } from './semantics/regularizers';
import { callArguments, parameterList, walk, withoutPlacement, CALL_NODES } from './syntax';

/**
 * A module class of the file that drops: a dropout submodule or a functional regularizer, here or in a submodule, or
 * a submodule of a hand-written regularizer class of the file.
 */
export function dropoutOf(model: FileModel, cls: ModuleClass): Node | null {
  const known = memoOf(model).dropouts;
  if (!known.has(cls.name)) known.set(cls.name, findDropout(model, cls, new Set()));
  return known.get(cls.name) ?? null;
}

function findDropout(model: FileModel, cls: ModuleClass, seen: Set<string>): Node | null {
  if (seen.has(cls.name)) return null;
  seen.add(cls.name);
  // A class whose text never says `drop` (or `stochastic`) builds and calls none; its submodules' classes may.
  const mayDrop = /drop|stochastic/i.test(cls.text);
  if (mayDrop) for (const s of cls.members.submodules) if (s.regularizers.length > 0) return s.value;
  let found: Node | null = null;
  if (mayDrop)
    walk(
      cls.node,
      (call) => {
        if (found) return false;
        if (regularizer(model.imports.resolve(call.childForFieldName('function')))?.form === 'function') found = call;
      },
      CALL_NODES,
    );
  if (found) return found;
  for (const s of cls.members.submodules) {
    // `Block(dim)`, `DropPath(p) if p > 0 else nn.Identity()`: the classes of the file it may be built from.
    const inner = model.constructedBy(s.value, (call) => classOf(model, call));
    // A hand-written regularizer of the file that stops in evaluation (a drop path, `StochasticDepth`) drops
    // until `model.eval()` as a library one does.
    if (inner.some((c) => switchesWithMode(model, c))) return s.value;
    for (const c of inner) {
      const nested = findDropout(model, c, seen);
      if (nested) return nested;
    }
  }
  for (const base of model.superclassesOf(cls.name)) {
    const nested = findDropout(model, base, seen);
    if (nested) return nested;
  }
  return null;
}

/** A hand-written regularizer class whose evaluation differs from its training: identity, or a fixed scale. */
function switchesWithMode(model: FileModel, cls: ModuleClass): boolean {
  const behaviour = regularizerOf(model, cls.node)?.evaluation.behaviour;
  return behaviour === 'identity' || behaviour === 'scaled';
}

/** The module class of the file an expression constructs: `Net()`, `Net(args).to(device)`. */
export function classOf(model: FileModel, value: Node): ModuleClass | undefined {
  const call = withoutPlacement(value);
  if (call.type !== 'call') return undefined;
  const cls = model.classes.get(call.childForFieldName('function')?.text ?? '');
  return cls?.isModule ? cls : undefined;
}

/** The function (or the module, for top-level code) a node runs in. */
export function scopeOf(node: Node): Node {
  let p: Node | null = node.parent;
  while (p && p.type !== 'function_definition' && p.type !== 'module') p = p.parent;
  return p ?? node;
}

/**
 * The mode the last `name.eval()` / `name.train(…)` of `scope` before `before` (a source offset) sets, in source
 * order, or null when there is none. A switch in any branch counts, so the rule errs towards silence.
 */
export function modeBefore(scope: Node, name: string, before: number): { mode: 'eval' | 'train'; at: Node } | null {
  let last: { mode: 'eval' | 'train'; at: Node } | null = null;
  walk(
    scope,
    (call) => {
      if (call.startIndex >= before) return false;
      const mode = modeSwitch(call, name);
      if (mode) last = { mode, at: call };
    },
    CALL_NODES,
  );
  return last;
}

export function modeSwitch(call: Node, name: string): 'eval' | 'train' | null {
  const fn = call.childForFieldName('function');
  if (fn?.type !== 'attribute' || fn.childForFieldName('object')?.text !== name) return null;
  const method = fn.childForFieldName('attribute')?.text;
  if (method === 'eval') return 'eval';
  if (method !== 'train') return null;
  const arg = callArguments(call)[0];
  const value = arg?.type === 'keyword_argument' ? arg.childForFieldName('value') : arg;
  if (!value || value.type === 'true') return 'train';
  return value.type === 'false' ? 'eval' : null;
}

/**
 * The names bound to a dropping model where `call` runs: a local `model = Net()`, or a parameter that every call
 * of the function in this file binds to one. Returns the class for each such name.
 */
export function modelNames(model: FileModel, scope: Node, depth = 0): ReadonlyMap<string, ModuleClass> {
  const memo = memoOf(model).models;
  let out = memo.get(scope.id);
  if (!out) {
    // Seeded before it is filled: a function that calls itself sees no models through its own parameters.
    out = new Map();
    memo.set(scope.id, out);
    fillModelNames(model, scope, depth, out);
  }
  return out;
}

function fillModelNames(model: FileModel, scope: Node, depth: number, out: Map<string, ModuleClass>): void {
  if (!droppingClasses(model)) return;
  walk(scope, (n) => {
    if (n.type === 'function_definition' && n.id !== scope.id) return false;
    if (n.type !== 'assignment') return;
    const left = n.childForFieldName('left');
    const right = n.childForFieldName('right');
    const cls = right && classOf(model, right);
    if (left?.type === 'identifier' && cls && dropoutOf(model, cls)) out.set(left.text, cls);
  });
  // A parameter is followed through three callers at most: scripts are shallow, and recursion must end.
  if (scope.type !== 'function_definition' || depth >= 3) return;
  const params = parameterList(scope);
  const name = scope.childForFieldName('name')?.text ?? '';
  for (const [i, p] of params.entries()) {
    const bound = callSites(model, name).map((site) => {
      const arg = argumentFor(site, p.name, i);
      if (arg?.type !== 'identifier') return undefined;
      return modelNames(model, scopeOf(site), depth + 1).get(arg.text);
    });
    if (bound.length > 0 && bound.every((c) => c)) out.set(p.name, bound[0]!);
  }
}

/**
 * Whether the text assigns to `name` anywhere (`name = …`, `name: T = …`, `a = name = …`): what `modelNames` needs
 * before it can bind the name. Asked for each call of a plain name, it spares a walk of the whole module for the
 * many names that are never assigned (most calls are of functions and classes).
 */
export function assignedInText(model: FileModel, name: string): boolean {
  const memo = memoOf(model);
  memo.assigned ??= new Map();
  let known = memo.assigned.get(name);
  if (known !== undefined) return known;
  if (/^[A-Za-z_]\w*$/.test(name)) {
    memo.assignedNames ??= assignedNames(model);
    known = memo.assignedNames.has(name);
  } else {
    // A name may be followed by spaces and line continuations before its `=` or annotation.
    known = new RegExp(`(?<![\\w.])${name}[\\s\\\\]*[:=]`).test(model.file.text);
  }
  memo.assigned.set(name, known);
  return known;
}

/** An ASCII name assigned to: the pattern above with any name in it. */
const ASSIGNED = /(?<![\w.])([A-Za-z_]\w*)[\s\\]*[:=]/g;

/** The names assigned in a top-level statement's text, by statement: after an edit, only the edited one is read. */
const assignedByStatement = new WeakMap<Node, readonly string[]>();

/**
 * Every ASCII name the text assigns to, statement by statement. In a file that parses, no match spans two top-level
 * statements (none starts with `:` or `=`) and the text between them is blank, so the statements' names are the
 * text's; a file with a syntax error is read whole.
 */
function assignedNames(model: FileModel): ReadonlySet<string> {
  const root = model.file.root;
  if (root.hasError) return new Set(Array.from(model.file.text.matchAll(ASSIGNED), (m) => m[1]));
  const out = new Set<string>();
  for (const stmt of root.children) {
    let names = assignedByStatement.get(stmt);
    if (!names) assignedByStatement.set(stmt, (names = Array.from(stmt.ownText.matchAll(ASSIGNED), (m) => m[1])));
    for (const name of names) out.add(name);
  }
  return out;
}

/** The calls of a top-level function of the file by its name, wherever they are. */
export function callSites(model: FileModel, name: string): Node[] {
  const memo = memoOf(model);
  if (!memo.calls) {
    const calls = new Map<string, Node[]>();
    memo.calls = calls;
    walk(
      model.file.root,
      (call) => {
        const fn = call.childForFieldName('function');
        if (fn?.type !== 'identifier' || !model.functions.has(fn.text)) return;
        calls.set(fn.text, [...(calls.get(fn.text) ?? []), call]);
      },
      CALL_NODES,
    );
  }
  return memo.calls.get(name) ?? [];
}

/** Does any module class of the file drop? Most files with a `no_grad` hold no model of their own. */
export function droppingClasses(model: FileModel): boolean {
  const memo = memoOf(model);
  memo.anyDropping ??= [...model.classes.values()].some((c) => c.isModule && dropoutOf(model, c));
  return memo.anyDropping;
}

interface ScriptMemo {
  dropouts: Map<string, Node | null>;
  models: Map<number, Map<string, ModuleClass>>;
  calls?: Map<string, Node[]>;
  anyDropping?: boolean;
  assigned?: Map<string, boolean>;
  assignedNames?: ReadonlySet<string>;
}

const memos = new WeakMap<FileModel, ScriptMemo>();

function memoOf(model: FileModel): ScriptMemo {
  let memo = memos.get(model);
  if (!memo) memos.set(model, (memo = { dropouts: new Map(), models: new Map() }));
  return memo;
}

/** The argument a call passes for a parameter, by keyword or by position. */
export function argumentFor(call: Node, param: string, position: number): Node | undefined {
  let positional = 0;
  for (const arg of callArguments(call)) {
    if (arg.type === 'keyword_argument') {
      if (arg.childForFieldName('name')?.text === param) return arg.childForFieldName('value') ?? undefined;
    } else if (arg.type === 'list_splat' || arg.type === 'dictionary_splat') return undefined;
    else if (positional++ === position) return arg;
  }
  return undefined;
}
