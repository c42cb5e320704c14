/**
 * A training script's view of its models: which names hold an instance of a module class that drops, of this file
 * or imported from another file of the workspace (`model = Net().to(device)`, `def test(model: Net, …)`), and where
 * the script switches their mode, evaluates them and trains them. Read statically from the script's functions and
 * its top level, never run. RG015 asks it whether every evaluation runs in evaluation mode, and whether training
 * after an evaluation switches back.
 */
import { regularizer } from './catalog';
import type { ModuleClass } from './classes';
import { isLibraryName } from './library';
import type { FileModel } from './model';
import type { Node } from './parser';
import { regularizerOf } from './semantics/regularizers';
import { callArguments, parameterList, walk, withoutPlacement, CALL_NODES } from './syntax';
import type { ExternalLocation } from './types';

/** The dropout a model runs until `model.eval()`: in this file (`node`), or in another file of the workspace. */
export interface ModelDropout {
  /** What it is called with, as written: `nn.Dropout`, `F.dropout`, `DropPath`. */
  label: string;
  /** The class whose code holds it. */
  owner: string;
  node?: Node;
  external?: ExternalLocation;
}

/**
 * A module class that drops: a dropout submodule or a functional regularizer, here or in a submodule, a submodule of
 * a hand-written regularizer class that stops in evaluation, or the same in a class of another workspace file that it
 * builds or derives from.
 */
export function dropoutOf(model: FileModel, cls: ModuleClass, acrossFiles = true): ModelDropout | null {
  const memo = memoOf(model);
  const known = acrossFiles ? memo.dropouts : memo.localDropouts;
  if (!known.has(cls.name)) known.set(cls.name, findDropout(model, cls, new Set(), acrossFiles));
  return known.get(cls.name) ?? null;
}

/**
 * What an instance of the class runs until `model.eval()`: a dropout in it, or the class itself when it is a
 * hand-written regularizer that stops in evaluation. What the workspace index keeps of a class for other files.
 */
export function evaluationDropout(model: FileModel, cls: ModuleClass): ModelDropout | null {
  const inside = dropoutOf(model, cls);
  if (inside || !switchesWithMode(model, cls)) return inside;
  return { label: cls.name, owner: cls.name, node: cls.node.childForFieldName('name') ?? cls.node };
}

function here(node: Node, owner: ModuleClass): ModelDropout {
  return { label: node.text.split('(')[0], owner: owner.name, node };
}

function findDropout(model: FileModel, cls: ModuleClass, seen: Set<string>, acrossFiles: boolean): ModelDropout | null {
  if (seen.has(cls.name)) return null;
  seen.add(cls.name);
  // A class whose text never says `drop` (or `stochastic`) builds and calls none; its submodules' classes may.
  const mayDrop = /drop|stochastic/i.test(cls.text);
  if (mayDrop) for (const s of cls.members.submodules) if (s.regularizers.length > 0) return here(s.value, cls);
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
  if (found) return here(found, cls);
  for (const s of cls.members.submodules) {
    // `Block(dim)`, `DropPath(p) if p > 0 else nn.Identity()`: the classes of the file it may be built from.
    const inner = model.constructedBy(s.value, (call) => classOf(model, call));
    // A hand-written regularizer of the file that stops in evaluation (a drop path, `StochasticDepth`) drops
    // until `model.eval()` as a library one does.
    if (inner.some((c) => switchesWithMode(model, c))) return here(s.value, cls);
    for (const c of inner) {
      const nested = findDropout(model, c, seen, acrossFiles);
      if (nested) return nested;
    }
    // A class of another file: what the workspace index read of it there.
    const external = acrossFiles ? model.constructedBy(s.value, (_, callee) => importedDropout(model, callee)) : [];
    if (external.length > 0) return external[0];
  }
  for (const base of model.superclassesOf(cls.name)) {
    const nested = findDropout(model, base, seen, acrossFiles);
    if (nested) return nested;
  }
  for (const base of acrossFiles ? cls.bases : []) {
    const external = model.classes.has(base) ? undefined : importedDropout(model, qualifiedName(model, base));
    if (external) return external;
  }
  return null;
}

/**
 * The dropout of a module class another workspace file defines, by its qualified name. Only for a class by its
 * CapWords name and outside the libraries (asked for every submodule and import, it would otherwise summarize
 * torch's own modules when the workspace is torch's source).
 */
function importedDropout(model: FileModel, qualified: string | null | undefined): ModelDropout | undefined {
  if (!workspaceClassName(qualified)) return undefined;
  const found = model.workspace?.definition(qualified);
  return found?.kind === 'class' && found.isModule ? found.dropout : undefined;
}

/** A class name as PEP 8 writes it (`Net`, `GPT`, `ResNet18`), of no library. */
function workspaceClassName(qualified: string | null | undefined): qualified is string {
  return !!qualified && !isLibraryName(qualified) && /^_*[A-Z]/.test(qualified.slice(qualified.lastIndexOf('.') + 1));
}

/** What a name or dotted chain the file writes refers to (`Net`, `models.Net`), when an import binds it. */
function qualifiedName(model: FileModel, text: string): string | null {
  if (/^[A-Za-z_]\w*$/.test(text)) return model.imports.resolveName(text);
  return /^[A-Za-z_][\w.]*$/.test(text) ? (model.imports.resolveChain(text) ?? null) : null;
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

/** The dropout of the model an expression constructs (`Net()`, `models.Net(args).to(device)`), when it drops. */
function modelBuiltBy(model: FileModel, value: Node): ModelDropout | undefined {
  const call = withoutPlacement(value);
  const fn = call.type === 'call' ? call.childForFieldName('function') : null;
  return fn ? modelOfClass(model, fn.text) : undefined;
}

/** The dropout of a module class a script names (`Net`, `models.Net`), of this file or another. */
function modelOfClass(model: FileModel, name: string): ModelDropout | undefined {
  const cls = model.classes.get(name);
  if (cls) return (cls.isModule && dropoutOf(model, cls)) || undefined;
  return importedDropout(model, qualifiedName(model, name));
}

/** The class a parameter's annotation names (`model: Net`, `model: "Net"`), as written. */
function annotatedClass(param: Node): string | undefined {
  if (param.type !== 'typed_parameter' && param.type !== 'typed_default_parameter') return undefined;
  const type = param.childForFieldName('type');
  const value = type?.type === 'type' ? type.namedChild(0) : type;
  if (value?.type === 'identifier' || value?.type === 'attribute') return value.text;
  if (value?.type !== 'string') return undefined;
  // A forward reference: the class written as a string.
  const text = value.text.replace(/^['"]|['"]$/g, '');
  return /^[A-Za-z_][\w.]*$/.test(text) ? text : undefined;
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
 * The names bound to a dropping model where `call` runs: a local `model = Net()`, a parameter annotated with a
 * dropping class in a function this file calls, or a parameter that every call of the function in this file binds
 * to one. Returns the dropout each one's model runs.
 */
export function modelNames(model: FileModel, scope: Node, depth = 0): ReadonlyMap<string, ModelDropout> {
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

function fillModelNames(model: FileModel, scope: Node, depth: number, out: Map<string, ModelDropout>): void {
  if (!mayHoldModels(model)) return;
  walk(scope, (n) => {
    if (n.type === 'function_definition' && n.id !== scope.id) return false;
    if (n.type !== 'assignment') return;
    const left = n.childForFieldName('left');
    const right = n.childForFieldName('right');
    const built = left?.type === 'identifier' && right ? modelBuiltBy(model, right) : undefined;
    if (built) out.set(left!.text, built);
  });
  if (scope.type !== 'function_definition') return;
  const name = scope.childForFieldName('name')?.text ?? '';
  // `def test(model: Net, …)`: the annotation says what every call passes. Only for a function this file calls:
  // the callers of one it does not call are in other files, which may switch the model to eval before the call.
  const called = callSites(model, name).length > 0;
  for (const p of called ? (scope.childForFieldName('parameters')?.namedChildren ?? []) : []) {
    const cls = p ? annotatedClass(p) : undefined;
    const param = cls ? (p!.childForFieldName('name') ?? p!.namedChild(0)) : null;
    const annotated = cls ? modelOfClass(model, cls) : undefined;
    if (param?.type === 'identifier' && annotated && !out.has(param.text)) out.set(param.text, annotated);
  }
  // A parameter is followed through three callers at most: scripts are shallow, and recursion must end.
  if (depth >= 3) return;
  const params = parameterList(scope);
  for (const [i, p] of params.entries()) {
    if (out.has(p.name)) continue;
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

/**
 * Can the file hold a model: does a module class of it drop (read in this file alone), or does it import a class of
 * another workspace file, which may? Most files with a `no_grad` hold no model.
 */
export function mayHoldModels(model: FileModel): boolean {
  const memo = memoOf(model);
  memo.anyDropping ??=
    [...model.classes.values()].some((c) => c.isModule && dropoutOf(model, c, false)) || importsClass(model);
  return memo.anyDropping;
}

/**
 * Does the file import a class of another workspace file, by name (`from model import Net`) or through a module it
 * calls it from (`models.Net(…)`)? Read from the import table and the text, without asking the workspace: which of
 * them drops is asked only for the classes a script builds or annotates.
 */
function importsClass(model: FileModel): boolean {
  if (!model.workspace) return false;
  for (const [, qualified] of model.imports.importedNames()) if (workspaceClassName(qualified)) return true;
  for (const m of model.file.text.matchAll(MODULE_CLASS_CALL))
    if (model.imports.resolveName(m[1]) && workspaceClassName(qualifiedName(model, `${m[1]}.${m[2]}`))) return true;
  return false;
}

/** `models.Net(`: a class called through a module (the first name is checked to be an import). */
const MODULE_CLASS_CALL = /(?<![\w.])([A-Za-z_]\w*)\.(_*[A-Z]\w*)\s*\(/g;

interface ScriptMemo {
  dropouts: Map<string, ModelDropout | null>;
  /** The same, read in this file only (`mayHoldModels`). */
  localDropouts: Map<string, ModelDropout | null>;
  models: Map<number, Map<string, ModelDropout>>;
  calls?: Map<string, Node[]>;
  anyDropping?: boolean;
  assigned?: Map<string, boolean>;
  assignedNames?: ReadonlySet<string>;
}

const memos = new WeakMap<FileModel, ScriptMemo>();

function memoOf(model: FileModel): ScriptMemo {
  let memo = memos.get(model);
  if (!memo) memos.set(model, (memo = { dropouts: new Map(), localDropouts: new Map(), models: new Map() }));
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
