/**
 * Constructions of the workspace's own regularizer classes: `self.drop_path = DropPath(drop_path)` where `DropPath`
 * is a class of this file (BEiT, DINO and data2vec keep their drop path beside the model) or of another file of the
 * workspace (DINOv2's `from .drop_path import DropPath`). The definition has sites of its own (sites.ts), profiled
 * at `__init__`'s defaults, which are often `None`; a construction passes the rate the model really uses, so the
 * profiler measures it there, with `__init__`'s parameters bound to its arguments.
 *
 * Two kinds of class are regularizers here:
 * - a hand-written one (semantics/regularizers.ts: its `forward` builds and applies a random mask), run as its own
 *   code with those arguments;
 * - one whose `forward` only applies a library function to its input (`return drop_path(x, self.drop_prob,
 *   self.training)` over timm's, as BEiT's DropPath does), profiled as that regularizer at the rate the arguments
 *   give.
 * A class that does more (an attention block with a dropout inside) is not a regularizer: its dropouts have their
 * own sites. Calls of the constructed module (`self.drop_path(x)`) have none: they run what the construction built.
 *
 * A class is described without tree nodes (`RegularizerClass`), so that the workspace index can keep the description
 * of another file's class (server/engine/workspace.ts) without its tree.
 */
import type { Granularity, KernelSpec } from '../../kernels/plan';
import {
  type ClassRegularizer,
  type Parameter,
  regularizer,
  type RegularizerKind,
  type RegularizerSpec,
} from './catalog';
import type { ModuleClass } from './classes';
import type { FileModel } from './model';
import type { Node } from './parser';
import { isRateName } from './rate-params';
import { extractProgram, type ExtractedProgram } from './regularizer-program';
import type { RegularizerSemantics, ScalarValue } from './semantics/record';
import { regularizerOf } from './semantics/regularizers';
import {
  activeInEval,
  fileCalls,
  initParameterOf,
  kernelFor,
  skippedInEvaluation,
  readRate,
  resolveNumber,
  type InitParameter,
  type Resolved,
} from './site-kernels';
import { constructorParameters, findArgument, parameterList } from './syntax';

/** A hand-written regularizer as its implementation site runs it: its own code, in the profiler's interpreter. */
export interface RegularizerCode {
  kind: 'code';
  /** The semantics' name (`DropPath`, `Block.drop`). */
  name: string;
  /** The program of its code, or why there is none. */
  extracted: ExtractedProgram | string;
  /** The keep probability the semantics derived, for a rate the arguments leave open. */
  keep: ScalarValue;
  /** What the name promises: drop path decides per sample. */
  expectedGranularity?: Granularity[];
}

/** A class whose `forward` only applies a library regularizer to its input, at its definition's rate. */
export interface AppliedLibraryRegularizer {
  kind: 'library';
  kernel: Extract<KernelSpec, { p: number }>;
  rate: Resolved;
  /** The `__init__` parameter the rate is (`self.drop_prob` ← `drop_prob`), when it is one. */
  rateParameter?: InitParameter;
  activeInEval: boolean;
}

export interface RegularizerClass {
  name: string;
  kind: RegularizerKind;
  /** Its source text: a construction's site code holds it, so that a cached profile goes when the class changes. */
  text: string;
  /** `__init__`'s parameters after `self`: what a construction's arguments bind to. */
  initParameters: readonly Parameter[];
  applies: RegularizerCode | AppliedLibraryRegularizer;
}

/** The implementation of a hand-written regularizer (a definition's, or a construction's before binding). */
export function regularizerCode(model: FileModel, s: RegularizerSemantics): RegularizerCode {
  return {
    kind: 'code',
    name: s.name,
    extracted: extractProgram(model, s.node),
    keep: s.keepProbability,
    expectedGranularity:
      s.kind === 'drop-path' && !s.target.isWeight ? (s.deliberateBatch ? ['sample', 'batch'] : ['sample']) : undefined,
  };
}

/** The class as a regularizer, or null when it is none (see the header). */
export function describeRegularizerClass(model: FileModel, cls: ModuleClass): RegularizerClass | null {
  const init = cls.isModule ? cls.members.methods.get('__init__') : undefined;
  if (!init) return null;
  const applied = regularizerApplied(model, cls);
  if (!applied) return null;
  const { kind, applies } = applied;
  return { name: cls.name, kind, text: cls.text, initParameters: constructorParameters(init), applies };
}

function regularizerApplied(
  model: FileModel,
  cls: ModuleClass,
): { kind: RegularizerKind; applies: RegularizerClass['applies'] } | null {
  const semantics = regularizerOf(model, cls.node);
  if (semantics) return { kind: semantics.kind, applies: regularizerCode(model, semantics) };
  const forward = cls.members.methods.get('forward');
  const input = forward ? parameterList(forward)[1] : undefined;
  const applied = forward && input ? appliedCall(model, forward, input.name) : null;
  if (!applied) return null;
  const { call, spec } = applied;
  const rate = readRate(model, call, spec, cls);
  const argument = findArgument(call, spec.rate);
  const applies: AppliedLibraryRegularizer = {
    kind: 'library',
    kernel: kernelFor(spec, call, rate.value, 12) as Extract<KernelSpec, { p: number }>,
    rate,
    rateParameter: typeof argument === 'object' ? initParameterOf(argument.node, cls) : undefined,
    activeInEval: activeInEval(call, spec) && !skippedInEvaluation(call, cls),
  };
  return { kind: spec.kind, applies };
}

/**
 * The class as the rules read a construction of it: its kind, and the `__init__` parameter that sets its rate (the
 * one the library call's rate reads, or for a hand-written one the only parameter named as a rate).
 */
export function classRegularizer(definition: RegularizerClass): ClassRegularizer {
  const { applies, initParameters } = definition;
  const rate =
    applies.kind === 'library'
      ? initParameters.filter((p) => p.name === applies.rateParameter?.name)
      : initParameters.filter((p) => isRateName(p.name));
  return rate.length === 1 ? { kind: definition.kind, rate: rate[0] } : { kind: definition.kind };
}

/** A regularizer module an expression constructs, the library's or a class of the workspace. */
export interface RegularizerModule {
  call: Node;
  /** The class's name (`Dropout`, `DropPath`). */
  name: string;
  kind: RegularizerKind;
  /** The argument that sets its rate, if any does. */
  rate?: Parameter;
}

const ownClasses = new WeakMap<FileModel, Map<string, ClassRegularizer | null>>();

/**
 * The regularizer modules an expression constructs (`Model.constructedRegularizers`' shapes): the catalog's, and the
 * workspace's own regularizer classes, of this file or, through the workspace index, imported from another.
 */
export function regularizerModules(model: FileModel, expression: Node): RegularizerModule[] {
  let known = ownClasses.get(model);
  if (!known) ownClasses.set(model, (known = new Map()));
  const own = (callee: string, cls: ModuleClass | undefined): ClassRegularizer | null => {
    let found = known.get(callee);
    if (found === undefined) {
      const definition = cls ? describeRegularizerClass(model, cls) : null;
      const external = cls ? null : model.workspace?.definition(callee);
      found = definition
        ? classRegularizer(definition)
        : ((external?.kind === 'class' ? external.regularizer : undefined) ?? null);
      known.set(callee, found);
    }
    return found;
  };
  return model.constructedBy(expression, (call, callee): RegularizerModule | undefined => {
    const spec = regularizer(callee);
    if (spec) {
      const name = callee!.split('.').pop()!;
      return spec.form === 'module' ? { call, name, kind: spec.kind, rate: spec.rate } : undefined;
    }
    // A name the file defines resolves to nothing: a class of this file.
    const fn = call.childForFieldName('function');
    const local = callee === null && fn?.type === 'identifier' ? model.classes.get(fn.text) : undefined;
    const key = local ? `\u0000${local.name}` : callee;
    const found = key === null ? null : own(key, local);
    return found ? { call, name: local?.name ?? callee!.split('.').pop()!, ...found } : undefined;
  });
}

/**
 * The library regularizer call a `forward` returns on its input, when that is all it does: `return drop_path(x,
 * self.drop_prob, self.training)` (BEiT's DropPath), or fairseq's `FairseqDropout`, which returns `F.dropout(x,
 * p=self.p, training=True)` under `if self.p > 0 and (self.training or self.apply_during_inference):` and `x`
 * itself otherwise. Any other statement, or a second regularizer call, and it is not.
 */
function appliedCall(model: FileModel, forward: Node, input: string): { call: Node; spec: RegularizerSpec } | null {
  let found: { call: Node; spec: RegularizerSpec } | null = null;
  const returnsOnly = (block: Node | null): boolean =>
    !!block &&
    block.namedChildren.every((s) => {
      if (!s || s.type === 'comment' || s.type === 'pass_statement' || isDocstring(s)) return true;
      if (s.type === 'if_statement')
        return (
          returnsOnly(s.childForFieldName('consequence')) &&
          s.childrenForFieldName('alternative').every((c) => !!c && returnsOnly(c.childForFieldName('body')))
        );
      if (s.type !== 'return_statement') return false;
      const value = s.namedChild(0);
      if (value?.type === 'identifier' && value.text === input) return true;
      const first = value?.type === 'call' ? value.childForFieldName('arguments')?.namedChild(0) : null;
      if (first?.type !== 'identifier' || first.text !== input || found) return false;
      const spec = regularizer(model.imports.resolve(value!.childForFieldName('function')));
      if (spec?.form !== 'function') return false;
      found = { call: value!, spec };
      return true;
    });
  return returnsOnly(forward.childForFieldName('body')) ? found : null;
}

function isDocstring(statement: Node): boolean {
  return statement.type === 'expression_statement' && statement.namedChild(0)?.type === 'string';
}

/** What a construction passes for one of `__init__`'s parameters. */
export interface PassedArgument {
  node: Node;
  /** The number it stands for, or what it is in words when it is not one that can be read. */
  value: Resolved | { unknown: string };
}

export interface RegularizerConstruction {
  /** `DropPath(drop_path)`. */
  call: Node;
  definition: RegularizerClass;
  /** The class's own node, when it is a class of this file. */
  local?: Node;
  /** The class whose code constructs it, if any. */
  enclosing: ModuleClass | undefined;
  /** By `__init__` parameter; a parameter the call leaves out keeps its default. */
  passed: ReadonlyMap<string, PassedArgument>;
}

/**
 * Every construction of a regularizer class in the file: of its own classes, and with `imported`, of classes
 * imported from other files of the workspace (by the name the file imports, `.drop_path.DropPath`).
 */
export function regularizerConstructions(
  model: FileModel,
  imported?: (importedName: string) => RegularizerClass | null,
): RegularizerConstruction[] {
  // Only the classes the file constructs are asked whether they are regularizers.
  const { constructions, others } = fileCalls(model);
  const out: RegularizerConstruction[] = [];
  const add = (call: Node, definition: RegularizerClass, local?: Node) => {
    const enclosing = model.enclosingClass(call);
    out.push({ call, definition, local, enclosing, passed: passedArguments(model, call, definition, enclosing) });
  };
  for (const [name, calls] of constructions) {
    const local = model.classes.get(name)!;
    const definition = describeRegularizerClass(model, local);
    if (definition) for (const call of calls) add(call, definition, local.node);
  }
  if (!imported) return out;
  const described = new Map<string, RegularizerClass | null>();
  for (const call of others) {
    const name = model.imports.resolve(call.childForFieldName('function'));
    // A library regularizer has its site already (sites.ts), even where the workspace vendors the library.
    if (!name || regularizer(name)) continue;
    if (!described.has(name)) described.set(name, imported(name));
    const definition = described.get(name);
    if (definition) add(call, definition);
  }
  return out;
}

/** The construction's arguments by `__init__` parameter, each read in the code that constructs. */
function passedArguments(
  model: FileModel,
  call: Node,
  definition: RegularizerClass,
  enclosing: ModuleClass | undefined,
): Map<string, PassedArgument> {
  const out = new Map<string, PassedArgument>();
  for (const p of definition.initParameters) {
    const arg = findArgument(call, p);
    if (arg === 'absent') continue;
    if (arg === 'unknown') {
      out.set(p.name, { node: call, value: { unknown: `\`${p.name}\`, passed through *args/**kwargs,` } });
      continue;
    }
    const read = resolveNumber(model, arg.node, enclosing, 0);
    out.set(p.name, { node: arg.node, value: read ?? { unknown: `\`${arg.node.text}\`, passed as \`${p.name}\`,` } });
  }
  return out;
}
