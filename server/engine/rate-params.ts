import type { ModuleClass } from './classes';
import type { FileModel } from './model';
import type { Node } from './parser';
import { kwargsParameter, parameterList, walk } from './syntax';

/**
 * Where a configured drop rate is declared and where it may go: which names are rates, and what parameters a
 * called class or function accepts (a class of this file, `cls(…)` in a classmethod, or a definition of another
 * workspace file). Read by RG012 (rate-never-applied).
 */

/**
 * A name that holds a drop rate: `dropout`, `attn_dropout`, `drop_rate`, `drop_path_rate`, `p_dropout`, `resid_pdrop`,
 * `hidden_dropout_prob`, timm's `attn_drop` / `proj_drop` / `drop`, `layerdrop`. Flags and layers are not rates:
 * `use_dropout`, `dropout_layer`, `drop_last`.
 */
const PREFIX = '^(?:[a-z0-9]+_)*';
const RATE_NAME = new RegExp(
  `${PREFIX}(?:dropout|pdrop|drop|p_drop(?:out)?|drop_?path|layer_?drop)(?:_(?:rate|prob|probability|ratio|p))?$|` +
    `${PREFIX}drop_?(?:rate|prob|ratio)$`,
  'i',
);
const NOT_A_RATE = /^(?:use|with|no|apply|do|enable|disable|has|is|should)_|(?:^|_)(?:last|first|remainder|tokens?)$/i;

export function isRateName(name: string): boolean {
  return RATE_NAME.test(name) && !NOT_A_RATE.test(name);
}

/** A rate name that says which rate it is (`attention_dropout`, `lora_dropout`), not just that it is one. */
export function isSpecificRateName(name: string): boolean {
  return isRateName(name) && !GENERIC_RATE.test(name);
}
const GENERIC_RATE = /^(?:p_?)?(?:dropout|drop|pdrop|layer_?drop)(?:_?(?:rate|prob|probability|ratio|p))?$/i;

/** What a callee accepts: its parameters in order (`self` left out) and the name of its `**kwargs`, if any. */
export interface CalleeSignature {
  name: string;
  params: { name: string; keywordOnly: boolean }[];
  /** The `**kwargs` parameter's name (`**` when another file's class has one); `undefined` when not known. */
  kwargs: string | null | undefined;
  /** The `def` node, when the callee is in this file. */
  def: Node | null;
}

function signatureOfDef(name: string, def: Node, skipSelf: boolean): CalleeSignature {
  const params = parameterList(def).map((p) => ({ name: p.name, keywordOnly: p.keywordOnly }));
  return { name, params: skipSelf ? params.slice(1) : params, kwargs: kwargsParameter(def), def };
}

/** The `__init__` a class of this file runs: its own, or the nearest one of its bases in the file. */
export function initOf(model: FileModel, cls: ModuleClass): Node | null {
  const own = cls.members.methods.get('__init__');
  if (own) return own;
  for (const base of model.superclassesOf(cls.name)) {
    const init = base.members.methods.get('__init__');
    if (init) return init;
  }
  return null;
}

/** What the called class or function accepts, or null when it cannot be read. */
export function calleeSignature(model: FileModel, call: Node): CalleeSignature | null {
  const fn = call.childForFieldName('function');
  if (!fn) return null;
  if (fn.type === 'identifier') {
    const name = fn.text === 'cls' ? enclosingClassName(call) : fn.text;
    if (name && model.imports.resolveName(name) === null) {
      const cls = model.classes.get(name);
      if (cls) {
        const init = initOf(model, cls);
        return init ? signatureOfDef(name, init, true) : null;
      }
      const f = model.functions.get(name);
      if (f) return signatureOfDef(name, f.node, false);
    }
  }
  const qualified = model.imports.resolve(fn);
  const external = qualified !== null ? model.workspace?.definition(qualified) : null;
  if (external?.kind === 'class') {
    // `**kwargs` of another file is known to exist or not, never by its name.
    const kwargs = external.initKwargs === undefined ? undefined : external.initKwargs ? '**' : null;
    return { name: external.name, params: external.initParameters, kwargs, def: null };
  }
  if (external?.kind === 'function')
    return { name: external.name, params: external.parameters, kwargs: undefined, def: null };
  return null;
}

/** The class a `cls(…)` call builds: the one whose method holds it. */
function enclosingClassName(node: Node): string | null {
  for (let p = node.parent; p; p = p.parent)
    if (p.type === 'class_definition') return p.childForFieldName('name')?.text ?? null;
  return null;
}

/** The parameter an argument of the call binds, by keyword or position; null for splats or past the end. */
export function boundParameter(signature: CalleeSignature, call: Node, arg: Node): string | null {
  if (arg.type === 'keyword_argument') return arg.childForFieldName('name')?.text ?? null;
  let position = 0;
  for (const a of call.childForFieldName('arguments')?.namedChildren ?? []) {
    if (!a || a.type === 'comment') continue;
    if (a.type === 'list_splat') return null;
    if (a.type === 'keyword_argument' || a.type === 'dictionary_splat') continue;
    if (a.id === arg.id) {
      const p = signature.params[position];
      return p && !p.keywordOnly ? p.name : null;
    }
    position++;
  }
  return null;
}

/** Identifiers named `name` under `root` that read it (the parameter's own declaration is not under a body). */
export function readsOf(root: Node, name: string): Node[] {
  const out: Node[] = [];
  walk(
    root,
    (n) => {
      if (n.text !== name) return;
      const parent = n.parent;
      // `self.dropout` and `f(dropout=…)` name an attribute and a keyword, not the variable.
      if (parent?.type === 'attribute' && parent.childForFieldName('attribute')?.id === n.id) return;
      if (parent?.type === 'keyword_argument' && parent.childForFieldName('name')?.id === n.id) return;
      out.push(n);
    },
    IDENTIFIERS,
  );
  return out;
}
const IDENTIFIERS = new Set(['identifier']);

/** The rate-named parameters of a `def`, as name nodes. */
export function rateParameters(def: Node): Node[] {
  const out: Node[] = [];
  for (const p of def.childForFieldName('parameters')?.namedChildren ?? []) {
    const name = p?.type === 'identifier' ? p : (p?.childForFieldName('name') ?? p?.namedChild(0));
    if (name?.type === 'identifier' && isRateName(name.text) && name.text !== 'self') out.push(name);
  }
  return out;
}
