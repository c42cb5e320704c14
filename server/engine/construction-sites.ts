/**
 * Constructions of the file's own regularizer classes: `self.drop_path = DropPath(drop_path)` where `DropPath` is a
 * class of this file (BEiT, DINO and data2vec keep their drop path beside the model). The definition has sites of
 * its own (sites.ts), profiled at `__init__`'s defaults, which are often `None`; a construction passes the rate the
 * model really uses, so the profiler measures it there, with `__init__`'s parameters bound to its arguments.
 *
 * Two kinds of class are regularizers here:
 * - a hand-written one (semantics/regularizers.ts: its `forward` builds and applies a random mask), run as its own
 *   code with those arguments;
 * - one whose `forward` only applies a library regularizer to its input (`return drop_path(x, self.drop_prob,
 *   self.training)` over timm's function, `return self.drop(x)` over an `nn.Dropout`), profiled as that regularizer
 *   at the rate the arguments give.
 * A class that does more (an attention block with a dropout inside) is not a regularizer: its dropouts have their
 * own sites. Calls of the constructed module (`self.drop_path(x)`) have none: they run what the construction built.
 */
import { regularizer, type RegularizerSpec } from './catalog';
import type { ModuleClass } from './classes';
import type { FileModel } from './model';
import type { Node } from './parser';
import type { RegularizerSemantics } from './semantics/record';
import { regularizerOf } from './semantics/regularizers';
import { resolveNumber, type Bindings, type Resolved } from './site-rates';
import { CALL_NODES, findArgument, parameterList, walk } from './syntax';

/** What a construction passes for one of `__init__`'s parameters. */
export interface PassedArgument {
  node: Node;
  /** The number it stands for, or what it is in words when it is not one that can be read. */
  value: Resolved | { unknown: string };
}

export interface OwnConstruction {
  /** `DropPath(drop_path)`. */
  call: Node;
  /** The class constructed. */
  definition: ModuleClass;
  /** The module class whose code constructs it, if any. */
  enclosing: ModuleClass | undefined;
  /** By `__init__` parameter; a parameter the call leaves out keeps its default. */
  passed: ReadonlyMap<string, PassedArgument>;
  /** The same, as numbers for the rate readers (site-rates.ts). */
  bindings: Bindings;
  /** Hand-written: its semantics; a library regularizer's wrapper: that regularizer and the call that applies it. */
  applies: { semantics: RegularizerSemantics } | { spec: RegularizerSpec; call: Node };
}

export function ownRegularizerConstructions(model: FileModel): OwnConstruction[] {
  // Only the classes the file constructs are asked whether they are regularizers (members, semantics): one walk.
  const known = new Map<string, { init: Node; applies: OwnConstruction['applies'] } | null>();
  const regularizerNamed = (name: string) => {
    if (!known.has(name)) {
      const cls = model.classes.get(name);
      const init = cls?.isModule ? cls.members.methods.get('__init__') : undefined;
      const applies = cls && init ? regularizerApplied(model, cls) : null;
      known.set(name, init && applies ? { init, applies } : null);
    }
    return known.get(name);
  };
  const out: OwnConstruction[] = [];
  walk(
    model.file.root,
    (call) => {
      const fn = call.childForFieldName('function');
      const definition = fn?.type === 'identifier' ? model.classes.get(fn.text) : undefined;
      // Inside its own definition a name is the class itself (`super(DropPath, self)`), not a construction.
      if (!definition || (definition.node.startIndex <= call.startIndex && call.endIndex <= definition.node.endIndex))
        return;
      const own = regularizerNamed(definition.name);
      if (!own) return;
      const enclosing = model.enclosingModuleClass(call);
      const passed = passedArguments(model, call, own.init, enclosing);
      const values = new Map([...passed].map(([name, a]) => [name, a.value]));
      out.push({ call, definition, enclosing, passed, bindings: { init: own.init, values }, applies: own.applies });
    },
    CALL_NODES,
  );
  return out;
}

/** What makes the class a regularizer, or null when it is none (see the header). */
function regularizerApplied(model: FileModel, cls: ModuleClass): OwnConstruction['applies'] | null {
  const semantics = regularizerOf(model, cls.node);
  if (semantics) return { semantics };
  const forward = cls.members.methods.get('forward');
  const input = forward ? parameterList(forward)[1]?.name : undefined;
  const body = (forward?.childForFieldName('body')?.namedChildren ?? []).filter(
    (s): s is Node => !!s && s.type !== 'comment' && !isDocstring(s),
  );
  const returned = body.length === 1 && body[0].type === 'return_statement' ? body[0].namedChild(0) : null;
  if (!input || returned?.type !== 'call') return null;
  const first = returned.childForFieldName('arguments')?.namedChild(0);
  if (first?.type !== 'identifier' || first.text !== input) return null;
  const callee = returned.childForFieldName('function');
  const spec = regularizer(model.imports.resolve(callee));
  if (spec?.form === 'function') return { spec, call: returned };
  // `return self.drop(x)`: the submodule `__init__` made, an `nn.Dropout(p)`.
  if (callee?.type !== 'attribute' || callee.childForFieldName('object')?.text !== 'self') return null;
  const name = callee.childForFieldName('attribute')?.text;
  const sub = cls.members.submodules.find((s) => s.name === name);
  if (sub?.regularizers.length !== 1) return null;
  let constructed: Node | undefined;
  walk(
    sub.value,
    (n) => {
      if (constructed) return false;
      if (regularizer(model.imports.resolve(n.childForFieldName('function')))?.form === 'module') constructed = n;
    },
    CALL_NODES,
  );
  return constructed ? { spec: sub.regularizers[0], call: constructed } : null;
}

function isDocstring(statement: Node): boolean {
  return statement.type === 'expression_statement' && statement.namedChild(0)?.type === 'string';
}

/** The construction's arguments by `__init__` parameter, each read in the code that constructs. */
function passedArguments(
  model: FileModel,
  call: Node,
  init: Node,
  enclosing: ModuleClass | undefined,
): Map<string, PassedArgument> {
  const out = new Map<string, PassedArgument>();
  let position = 0;
  for (const p of parameterList(init).slice(1)) {
    const arg = findArgument(call, { name: p.name, position: p.keywordOnly ? -1 : position++ });
    if (arg === 'absent') continue;
    if (arg === 'unknown') {
      out.set(p.name, { node: call, value: { unknown: `\`${p.name}\`, passed through *args/**kwargs,` } });
      continue;
    }
    const read = resolveNumber(model, arg.node, enclosing, 0);
    out.set(p.name, {
      node: arg.node,
      value:
        read && 'value' in read
          ? { value: read.value, source: read.source }
          : { unknown: `\`${arg.node.text}\`, passed as \`${p.name}\`,` },
    });
  }
  return out;
}
