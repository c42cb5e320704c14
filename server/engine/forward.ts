import { MODULE_CONTAINERS, regularizer, type Parameter, type RegularizerKind, type RegularizerSpec } from './catalog';
import { ELEMENTWISE_FUNCTIONS, ELEMENTWISE_METHODS, libraryLayer, MERGE_FUNCTIONS, SOFTMAX_FUNCTIONS, type LayerRole } from './library';
import type { ImportTable } from './imports';
import { TextMemo } from './memo';
import { firstParameter, type FileModel, type ModuleClass } from './model';
import type { Node } from './parser';
import { callArguments, findArgument, numericLiteral, parameterList, type ParameterInfo } from './syntax';
import type { Range } from './types';

/**
 * The data flow of `nn.Module` methods, for the structure rules (RG001, RG002, RG009, RG010). Each method is
 * evaluated abstractly, statement by statement, over `FlowValue`s: what a tensor has been through (its last
 * dropout, whether it is an unregularized sublayer output, which modalities it carries and whether each was
 * dropped). Branches are evaluated apart and joined, loops twice, helper methods of the class with their
 * parameters bound. Submodules are described from `__init__` (`describeModule`) and classes of the file are
 * summarized from their own `forward` (`ModuleSummary`), so a block knows whether its attention already ends
 * with a dropout. Anything not understood is opaque, and opaque values never produce findings.
 */

export interface Rate {
  /** The rate as written (`config.resid_pdrop`, `0.1`, `dropout`). */
  text: string;
  /** Its value, when it is a literal or a parameter with a literal default. */
  value?: number;
}

export interface DropStep {
  /** The call that drops (`self.drop(x)`, `F.dropout(x, …)`), or the sublayer call that ends in a dropout. */
  call: Node;
  /** How the code spells the dropout (`self.resid_drop`, `F.dropout`). */
  label: string;
  rate?: Rate;
  spec?: RegularizerSpec;
  /** The dropout inside the sublayer, when `call` is a sublayer whose output ends with it. */
  inner?: InnerDrop;
}

/** The dropout a module's output ends with, seen from where the module is called. */
export interface InnerDrop {
  /** The dropout in this file; absent when it lives in another file of the workspace (`external`). */
  node?: Node;
  external?: ExternalLocation;
  label: string;
  /** The class or function whose code holds it. */
  owner: string;
  kind: RegularizerKind;
}

export interface SublayerOutput {
  role: 'attention' | 'feedforward';
  call: Node;
  /** `self.<attribute>` that was called, when it was one. */
  attribute: string | null;
  /** How the code names it, for messages (`self.attn`, `attn`). */
  label: string;
}

/** Text or another modality inside a sequence, with the dropout it went through since it entered. */
export interface ModalityPart {
  drop?: DropStep;
}

/** A place where text that went through dropout meets features of another modality that did not. */
export interface Fusion {
  drop: DropStep;
  merge: Node;
  modality: string;
  /** Where the merge happens in the method being analysed: the merge itself, or the call of the helper method that merges. */
  site: Node;
  /** Set once a dropout is applied to a value that contains the merged sequence. */
  covered: boolean;
}

export interface FlowValue {
  /** The value's last step is this dropout, with only shape-preserving element-wise steps since (RG010). */
  drop?: DropStep;
  /** A dropout followed by element-wise steps, additive masks included: logits stay logits (RG009). */
  logits?: DropStep;
  /** The unregularized output of an attention or feed-forward sublayer, with nothing but element-wise steps since (RG002). */
  sublayer?: SublayerOutput;
  parts?: ReadonlyMap<string, ModalityPart>;
  fusions?: ReadonlySet<Fusion>;
  elements?: FlowValue[];
  /** Produced by code Reglens does not understand: nothing may be concluded about it. */
  opaque?: boolean;
  /** The method's own input, through element-wise steps only (a `LayerScale` returns it). */
  fromInput?: boolean;
  /** Produced by calling a module that the wrapper received as this `__init__` parameter (`PreNorm(dim, fn)`). */
  passthrough?: string;
  /** Built from a dropout module or an attention/feed-forward module bound to a local name (`for attn, ff in self.layers`). */
  module?: BoundModule;
}

export interface BoundModule {
  description: ModuleDescription;
  label: string;
  attribute: string | null;
}

export interface ResidualAdd {
  /** The `+` expression or augmented assignment. */
  add: Node;
  /** The operand that carries the sublayer output. */
  branch: Node;
  sublayer: SublayerOutput;
}

export interface DoubleDropout {
  outer: DropStep;
  inner: DropStep;
}

export interface DroppedLogits {
  drop: DropStep;
  softmax: Node;
}

/** What evaluating one method found. */
export interface MethodFlow {
  returns: FlowValue[];
  residuals: ResidualAdd[];
  doubles: DoubleDropout[];
  logits: DroppedLogits[];
  fusions: Fusion[];
}

/** What a submodule is, judged from the expression `__init__` assigns to it. */
export interface ModuleDescription {
  regularizer?: { spec: RegularizerSpec; rate?: Rate; node: Node };
  role?: LayerRole;
  /** Whether the module's output has been through a dropout (or drop path) as its last regularizing step. */
  output: 'regularized' | 'unregularized' | 'unknown';
  /** The dropout its output ends with. */
  lastDrop?: InnerDrop & { rate?: Rate };
  /** The module hands its input back element-wise only (`LayerScale`, `nn.Identity`, activations). */
  preservesInput?: boolean;
  /** The module is the `__init__` parameter of this name (a wrapper's `fn`). */
  initParameter?: string;
  /** For `ModuleList`s: what their elements are, when the elements are described one by one (`nn.ModuleList([attn, ff])`). */
  elements?: ModuleDescription[];
}

/** A place in another file of the workspace (the engine keeps no tree of it). */
export interface ExternalLocation {
  /** Absolute path. */
  file: string;
  range: Range;
}

/** A constructor or factory parameter of a class or function in another file: what binding arguments needs. */
export interface ExternalParameter {
  name: string;
  keywordOnly: boolean;
  /** Its default, when that is a number literal. */
  default?: number;
}

/**
 * A class or module factory of another workspace file, as the workspace index keeps it: its summary without
 * tree nodes, and the parameters needed to read a call of it.
 */
export type ExternalDefinition =
  | { kind: 'class'; name: string; file: string; isModule: boolean; summary?: ModuleSummary; initParameters: ExternalParameter[] }
  | { kind: 'function'; name: string; file: string; description: ModuleDescription; parameters: ExternalParameter[] };

/** What the analysis of one file may ask of the rest of the workspace (server/engine/workspace.ts). */
export interface WorkspaceScope {
  /** The definition an imported name (`.layers.Attention`, `mypkg.Block`, as `ImportTable` spells it) refers to. */
  definition(importedName: string): ExternalDefinition | null;
  /** A text that changes whenever a definition this file imports changes, for the analyzer's cache keys. */
  signature(imports: ImportTable): string;
}

/** A module class of the file seen from outside: what `forward` returns. */
export interface ModuleSummary {
  role?: LayerRole;
  output: 'regularized' | 'unregularized' | 'unknown';
  lastDrop?: InnerDrop & { rate?: Rate };
  preservesInput: boolean;
  /** `forward` returns the result of calling the module received as this `__init__` parameter (`PreNorm(dim, fn)`). */
  passthrough?: string;
  /** The `__init__` parameter that sets the rate of the dropout its output ends with (timm's `proj_drop`). */
  outputDropout?: Parameter;
}

const UNKNOWN: ModuleDescription = { output: 'unknown' };

/** Names of methods that put features into the token sequence (`_merge_input_ids_with_image_features`, `prepare_inputs_labels_for_multimodal`). */
const MERGE_METHOD = /merge|fuse|fusion|combine|splice|insert|scatter|prepare_inputs_labels_for_multimodal|replace_image/i;

const ATTENTION_NAME = /(^|_)(self_|cross_)?attn|attention|(^|_)mha($|_)|(^|_)msa($|_)|(^|_)sa($|_)/i;
const FEEDFORWARD_NAME = /mlp|ffn|(^|_)ff($|_|\d)|feed_?forward|ffwd|(^|_)fc_block/i;
const TEXT_EMBEDDING_NAME = /^(embed_tokens|wte|tok_emb\w*|tok_embeddings|token_emb\w*|word_embeddings?|embed_in|text_embed\w*|tok_embed\w*|embedding|embeddings|embed)$/i;
const MODALITY_NAME = /image|img|vision|visual|pixel|patch|audio|speech|video/i;
/** Learned tokens that are not features of another modality, even when their names mention one. */
const NOT_A_MODALITY = /prompt|query|queries|memory|(^|_)pos|position|mask|latent|register|cls_token|newline|sizes|shape|token_id|grid/i;

export function roleFromName(name: string): 'attention' | 'feedforward' | undefined {
  if (ATTENTION_NAME.test(name)) return 'attention';
  if (FEEDFORWARD_NAME.test(name)) return 'feedforward';
  return undefined;
}

export function modalityOf(name: string): string | undefined {
  if (!MODALITY_NAME.test(name) || NOT_A_MODALITY.test(name)) return undefined;
  if (/audio|speech/i.test(name)) return 'audio';
  if (/video/i.test(name)) return 'video';
  return 'image';
}

/** The flow analysis of one file: summaries per class, evaluated on first use. One per `FileModel`. */
export class ForwardAnalysis {
  private readonly summaries = new Map<string, ModuleSummary>();
  private readonly inProgress = new Set<string>();
  private readonly flows = new Map<number, MethodFlow>();
  private readonly descriptions = new Map<number, ModuleDescription>();
  /** The file configures dropout somewhere: a rate parameter or config field, or a regularizer module. */
  readonly fileUsesDropout: boolean;

  constructor(readonly model: FileModel) {
    this.fileUsesDropout = mentionsDropoutOutsideComments(model.file.text);
  }

  /** The flow of one method of a module class, evaluated with its parameters unknown. */
  methodFlow(cls: ModuleClass, method: Node): MethodFlow {
    let flow = this.flows.get(method.id);
    if (!flow) {
      flow = { returns: [], residuals: [], doubles: [], logits: [], fusions: [] };
      this.flows.set(method.id, flow);
      const evaluator = new MethodEvaluator(this, cls, method, flow, 0, null, { steps: MAX_STEPS });
      try {
        flow.returns = evaluator.run(entryBindings(method));
      } catch (e) {
        if (!(e instanceof BudgetExceeded)) throw e;
        // Nested loops and helpers can multiply the work; a method too big to follow is unknown, not half-known.
        Object.assign(flow, { returns: [{ opaque: true }], residuals: [], doubles: [], logits: [], fusions: [] });
      }
    }
    return flow;
  }

  /** The flows of every method of a class: each method is an entry point (helpers are also followed from their callers). */
  classFlows(cls: ModuleClass): MethodFlow[] {
    if (!cls.isModule) return [];
    return [...cls.members.methods.values()].map((m) => this.methodFlow(cls, m));
  }

  summary(cls: ModuleClass): ModuleSummary {
    const cached = this.summaries.get(cls.name);
    if (cached) return cached;
    // A class that (through its submodules) contains itself cannot be summarized from itself.
    if (this.inProgress.has(cls.name)) return { output: 'unknown', preservesInput: false };
    this.inProgress.add(cls.name);
    try {
      const summary = this.computeSummary(cls);
      this.summaries.set(cls.name, summary);
      return summary;
    } finally {
      this.inProgress.delete(cls.name);
    }
  }

  private referenceCache = new Map<string, string[]>();
  private localNames: Set<string> | undefined;

  /**
   * Classes and functions of this file whose summaries a class's findings may depend on: every local class or
   * function it calls by name, and theirs in turn. Read from the text, so that deciding whether cached findings
   * still hold costs a scan, not an evaluation.
   */
  dependencies(cls: ModuleClass): Node[] {
    const out: Node[] = [];
    const seen = new Set([cls.name]);
    const queue = [cls.name];
    while (queue.length) {
      const name = queue.shift()!;
      for (const ref of this.references(name)) {
        if (seen.has(ref)) continue;
        seen.add(ref);
        const node = this.model.classes.get(ref)?.node ?? this.model.functions.get(ref)?.node;
        if (node) {
          out.push(node);
          queue.push(ref);
        }
      }
    }
    return out;
  }

  private references(name: string): string[] {
    let refs = this.referenceCache.get(name);
    if (refs) return refs;
    const cls = this.model.classes.get(name);
    const fn = cls ? undefined : this.model.functions.get(name)?.node;
    const text = cls ? cls.text : fn ? this.model.file.text.slice(fn.startIndex, fn.endIndex) : undefined;
    const local = (this.localNames ??= new Set([...this.model.classes.keys(), ...this.model.functions.keys()]));
    refs = text !== undefined ? calledNames(text).filter((n) => n !== name && local.has(n)) : [];
    this.referenceCache.set(name, refs);
    return refs;
  }

  private computeSummary(cls: ModuleClass): ModuleSummary {
    const role = roleFromName(cls.name) ?? (/block|layer$/i.test(cls.name) ? 'block' : undefined);
    const forward = methodOf(this.model, cls, 'forward');
    if (!forward || !cls.closedHierarchy) return { role, output: 'unknown', preservesInput: false };
    const flow = this.methodFlow(cls, forward);
    const returns = flow.returns.map((v) => (v.elements ? v.elements[0] ?? {} : v));
    if (returns.length === 0) return { role, output: 'unknown', preservesInput: false };
    const preservesInput = returns.every((v) => v.fromInput);
    const passthrough = returns.every((v) => v.passthrough && v.passthrough === returns[0].passthrough) ? returns[0].passthrough : undefined;
    let output: ModuleSummary['output'];
    if (returns.some((v) => v.opaque && !v.drop)) output = 'unknown';
    else if (returns.every((v) => v.drop)) output = 'regularized';
    else if (returns.every((v) => !v.drop)) output = 'unregularized';
    else output = 'unknown';
    const drop = returns[0].drop;
    const lastDrop = output === 'regularized' && drop ? { node: drop.inner ? drop.inner.node : drop.call, external: drop.inner?.external, label: drop.inner?.label ?? drop.label, rate: drop.rate, owner: drop.inner?.owner ?? cls.name, kind: dropKind(drop) } : undefined;
    return { role, output, lastDrop, preservesInput, passthrough, outputDropout: lastDrop ? this.rateParameter(cls, lastDrop.rate) : undefined };
  }

  /** The `__init__` parameter a rate comes from, as a constructor parameter of the class. */
  private rateParameter(cls: ModuleClass, rate: Rate | undefined): Parameter | undefined {
    if (!rate) return undefined;
    const init = methodOf(this.model, cls, '__init__');
    if (!init) return undefined;
    const params = parameterList(init).slice(1);
    const position = params.findIndex((p) => p.name === rate.text);
    if (position < 0) return undefined;
    return { name: rate.text, position: params[position].keywordOnly ? -1 : position };
  }

  /** What `self.<name>` is, from the assignments in `__init__` (and in the classes it inherits from). */
  describeAttribute(cls: ModuleClass, name: string): ModuleDescription {
    const key = `${cls.name}.${name}`;
    let d = this.attributes.get(key);
    if (!d) {
      d = this.describeAttributeUncached(cls, name);
      this.attributes.set(key, d);
    }
    return d;
  }

  private readonly attributes = new Map<string, ModuleDescription>();

  private describeAttributeUncached(cls: ModuleClass, name: string): ModuleDescription {
    for (const c of [cls, ...this.model.superclassesOf(cls.name)]) {
      const subs = c.members.submodules.filter((s) => s.name === name);
      if (subs.length === 0) continue;
      const described = subs.map((s) => this.describeModule(s.value, c));
      const first = described[0];
      // Assigned differently on different paths (`nn.Dropout(p) if p else nn.Identity()` written as an if): agree or give up.
      if (described.every((d) => d.output === first.output && !!d.regularizer === !!first.regularizer)) {
        const role = first.role ?? (first.regularizer ? undefined : roleFromName(name));
        // `self.layers = nn.ModuleList([])`, filled by `self.layers.append(…)` later in `__init__`.
        const elements = first.elements?.length === 0 ? this.appendedElements(c, name) ?? first.elements : first.elements;
        return { ...first, role, elements };
      }
      return UNKNOWN;
    }
    return UNKNOWN;
  }

  /** `self.layers.append(nn.ModuleList([attn, ff]))` in `__init__`: what the appended element is. */
  private appendedElements(cls: ModuleClass, name: string): ModuleDescription[] | undefined {
    for (const ref of cls.members.selfReferences.get(name) ?? []) {
      const member = ref.parent;
      if (member?.type !== 'attribute' || member.childForFieldName('attribute')?.text !== 'append') continue;
      const call = member.parent;
      if (call?.type !== 'call') continue;
      const arg = callArguments(call)[0];
      if (arg) return [this.describeModule(arg, cls)];
    }
    return undefined;
  }

  describeModule(value: Node, owner: ModuleClass | null, depth = 0): ModuleDescription {
    const cached = this.descriptions.get(value.id);
    if (cached) return cached;
    const d = depth > 6 ? UNKNOWN : this.describeUncached(value, owner, depth);
    this.descriptions.set(value.id, d);
    return d;
  }

  private describeUncached(value: Node, owner: ModuleClass | null, depth: number): ModuleDescription {
    const model = this.model;
    switch (value.type) {
      case 'parenthesized_expression':
        return value.namedChild(0) ? this.describeModule(value.namedChild(0)!, owner, depth + 1) : UNKNOWN;
      case 'conditional_expression': {
        const branches = value.namedChildren.filter((n): n is Node => !!n);
        const [a, b] = [branches[0], branches[branches.length - 1]].map((n) => this.describeModule(n, owner, depth + 1));
        // `DropPath(r) if r > 0 else nn.Identity()`: a regularizer that may be switched off.
        if (a.regularizer && (b.regularizer || b.role === 'identity')) return a;
        if (b.regularizer && a.role === 'identity') return b;
        return a.output === b.output && a.role === b.role ? a : UNKNOWN;
      }
      case 'identifier': {
        const init = owner ? methodOf(model, owner, '__init__') : undefined;
        if (init && parameterList(init).some((p) => p.name === value.text)) return { output: 'unknown', initParameter: value.text };
        return UNKNOWN;
      }
      case 'list':
      case 'tuple':
        return { output: 'unknown', elements: value.namedChildren.filter((n): n is Node => !!n).map((n) => this.describeModule(n, owner, depth + 1)) };
      case 'list_comprehension':
      case 'generator_expression': {
        // `nn.ModuleList([Block(…) for _ in range(depth)])`: every element is the same construction.
        const body = value.childForFieldName('body');
        return { output: 'unknown', elements: body ? [this.describeModule(body, owner, depth + 1)] : [] };
      }
      case 'call':
        break;
      default:
        return UNKNOWN;
    }
    const callee = value.childForFieldName('function');
    const qualified = model.imports.resolve(callee);
    const spec = regularizer(qualified);
    if (spec?.form === 'module') {
      const arg = findArgument(value, spec.rate);
      const rate = typeof arg === 'object' ? rateOf(model, owner, arg.node) : spec.qualifiedName === 'torch.nn.Dropout' ? { text: '0.5', value: 0.5 } : undefined;
      const label = callee?.text ?? spec.qualifiedName;
      return { regularizer: { spec, rate, node: value }, output: 'regularized', lastDrop: { node: value, label, rate, owner: owner?.name ?? '', kind: spec.kind } };
    }
    if (qualified && MODULE_CONTAINERS.has(qualified)) {
      const args = callArguments(value);
      if (qualified === 'torch.nn.Sequential') {
        const elements = args.filter((a) => a.type !== 'keyword_argument').map((a) => this.describeModule(a, owner, depth + 1));
        if (elements.length === 0 || args.some((a) => a.type === 'list_splat')) return UNKNOWN;
        return sequenceOf(elements);
      }
      const list = args[0];
      if (list && list.type !== 'keyword_argument') {
        const inner = this.describeModule(list, owner, depth + 1);
        if (inner.elements) return { output: 'unknown', elements: inner.elements };
      }
      return UNKNOWN;
    }
    const layer = libraryLayer(qualified);
    if (layer) {
      if (layer.regularizedInside) return { role: layer.role, output: 'regularized' };
      if (layer.role === 'identity' || layer.role === 'activation') return { role: layer.role, output: 'unregularized', preservesInput: true };
      if (!layer.outputDropout) return { role: layer.role, output: 'unregularized' };
      const arg = findArgument(value, layer.outputDropout);
      if (arg === 'unknown') return { role: layer.role, output: 'unknown' };
      if (arg === 'absent') return layer.outputDropout.default > 0 ? { role: layer.role, output: 'regularized' } : { role: layer.role, output: 'unregularized' };
      const rate = rateOf(model, owner, arg.node);
      return rate.value === 0 ? { role: layer.role, output: 'unregularized' } : { role: layer.role, output: 'regularized', lastDrop: { node: arg.node, label: `${callee?.text}(${layer.outputDropout.name}=…)`, rate, owner: owner?.name ?? '', kind: 'dropout' } };
    }
    if (callee?.type === 'identifier' && qualified === null) {
      const local = model.classes.get(callee.text);
      if (local?.isModule) {
        const init = methodOf(model, local, '__init__');
        return this.describeConstruction(this.summary(local), init ? externalParameters(parameterList(init).slice(1)) : [], value, owner, depth);
      }
      const fn = model.functions.get(callee.text);
      if (fn) {
        const made = this.factoryDescription(fn.name, fn.node);
        if (made) return this.describeFactoryCall(made, externalParameters(parameterList(fn.node)), value, owner);
      }
    }
    // A class or factory of another workspace file (`from .layers import Attention`), summarized by the workspace index.
    const external = qualified !== null ? model.workspace?.definition(qualified) : null;
    if (external?.kind === 'class' && external.isModule && external.summary) return this.describeConstruction(external.summary, external.initParameters, value, owner, depth);
    if (external?.kind === 'function') return this.describeFactoryCall(external.description, external.parameters, value, owner);
    return UNKNOWN;
  }

  /**
   * What a module factory of this file returns (lucidrains' `def FeedForward(dim, mult, dropout): return
   * nn.Sequential(…, nn.Dropout(dropout))`), with its rate still the function's parameter; undefined when it
   * does not return one expression.
   */
  factoryDescription(name: string, fn: Node): ModuleDescription | undefined {
    const returned = singleReturn(fn);
    if (!returned) return undefined;
    const inner = this.describeModule(returned, null, 1);
    return { ...inner, lastDrop: inner.lastDrop && { ...inner.lastDrop, owner: name }, role: inner.role ?? roleFromName(name) };
  }

  /** A call of a module factory: the rate of the dropout it ends with is read from this call when it is passed. */
  private describeFactoryCall(made: ModuleDescription, params: ExternalParameter[], value: Node, owner: ModuleClass | null): ModuleDescription {
    let lastDrop = made.lastDrop;
    const index = lastDrop?.rate ? params.findIndex((p) => p.name === lastDrop!.rate!.text) : -1;
    if (lastDrop && index >= 0) {
      const arg = findArgument(value, { name: params[index].name, position: params[index].keywordOnly ? -1 : index });
      const fallback = params[index].default;
      if (typeof arg === 'object') lastDrop = { ...lastDrop, rate: rateOf(this.model, owner, arg.node) };
      else if (arg === 'absent' && fallback !== undefined) lastDrop = { ...lastDrop, rate: { text: String(fallback), value: fallback } };
    }
    return { ...made, lastDrop };
  }

  /** `initParameters`: the constructor's parameters after `self`. */
  private describeConstruction(summary: ModuleSummary, initParameters: ExternalParameter[], call: Node, owner: ModuleClass | null, depth: number): ModuleDescription {
    if (summary.passthrough) {
      const params = initParameters;
      const index = params.findIndex((p) => p.name === summary.passthrough);
      const arg = index < 0 ? 'absent' : findArgument(call, { name: summary.passthrough, position: params[index].keywordOnly ? -1 : index });
      if (typeof arg === 'object') {
        return this.describeModule(arg.node, owner, depth + 1);
      }
      return UNKNOWN;
    }
    let output = summary.output;
    let lastDrop = summary.lastDrop;
    // `Attention(dim, proj_drop=0.0)`: the dropout its output ends with is switched off by the caller.
    if (output === 'regularized' && summary.outputDropout) {
      const arg = findArgument(call, summary.outputDropout);
      if (typeof arg === 'object' && numericLiteral(arg.node) === 0) {
        output = 'unregularized';
        lastDrop = undefined;
      } else if (typeof arg === 'object' && lastDrop) {
        lastDrop = { ...lastDrop, rate: rateOf(this.model, owner, arg.node) };
      }
    }
    return { role: summary.role, output, lastDrop, preservesInput: summary.preservesInput };
  }
}

function sameInnerDrop(a: InnerDrop, b: InnerDrop): boolean {
  if (a.node && b.node) return a.node.id === b.node.id;
  if (a.external && b.external) return a.external.file === b.external.file && a.external.range.start.line === b.external.range.start.line && a.external.range.start.character === b.external.range.start.character;
  return false;
}

function sequenceOf(elements: ModuleDescription[]): ModuleDescription {
  // The last element that is not element-wise decides what the output went through last.
  let i = elements.length - 1;
  while (i >= 0 && elements[i].preservesInput && !elements[i].regularizer) i--;
  if (i < 0) return { output: 'unregularized', preservesInput: true };
  const last = elements[i];
  if (last.regularizer) return { output: 'regularized', lastDrop: last.lastDrop };
  if (last.output === 'unknown') return UNKNOWN;
  return { output: last.output, lastDrop: last.lastDrop, role: elements.some((e) => e.role === 'linear') && elements.length > 1 ? undefined : last.role };
}

export function methodOf(model: FileModel, cls: ModuleClass, name: string): Node | undefined {
  for (const c of [cls, ...model.superclassesOf(cls.name)]) {
    const m = c.members.methods.get(name);
    if (m) return m;
  }
  return undefined;
}

/** Parameters as the workspace index keeps them: names, keyword-only, number defaults. */
export function externalParameters(params: readonly ParameterInfo[]): ExternalParameter[] {
  return params.map((p) => {
    const value = numericLiteral(p.default);
    return value === undefined ? { name: p.name, keywordOnly: p.keywordOnly } : { name: p.name, keywordOnly: p.keywordOnly, default: value };
  });
}

function singleReturn(fn: Node): Node | null {
  const body = fn.childForFieldName('body');
  const returns = body?.namedChildren.filter((s) => s?.type === 'return_statement') ?? [];
  return returns.length === 1 ? returns[0]!.namedChild(0) : null;
}

/** A rate's text and, when it is a literal or a parameter with a literal default, its value. */
export function rateOf(model: FileModel, owner: ModuleClass | null, node: Node): Rate {
  const text = node.text;
  const literal = numericLiteral(node);
  if (literal !== undefined) return { text, value: literal };
  if (node.type === 'identifier' && owner) {
    const init = methodOf(model, owner, '__init__');
    const param = init ? parameterList(init).find((p) => p.name === text) : undefined;
    const value = numericLiteral(param?.default ?? null);
    if (value !== undefined) return { text, value };
  }
  return { text };
}

function entryBindings(method: Node): Map<string, FlowValue> {
  const env = new Map<string, FlowValue>();
  const params = parameterList(method);
  params.forEach((p, i) => {
    if (i === 0) return;
    const value: FlowValue = { fromInput: i === 1 };
    const modality = modalityOf(p.name);
    if (modality) value.parts = new Map([[modality, {}]]);
    else if (p.name === 'inputs_embeds' || p.name === 'input_embeds') value.parts = new Map([['text', {}]]);
    env.set(p.name, value);
  });
  return env;
}

type Env = Map<string, FlowValue>;

function join(a: FlowValue | undefined, b: FlowValue | undefined): FlowValue {
  if (!a) return b ?? {};
  if (!b || a === b) return a;
  const parts = new Map(a.parts ?? []);
  addParts(parts, b.parts);
  return {
    drop: a.drop && b.drop ? a.drop : undefined,
    logits: a.logits ?? b.logits,
    sublayer: a.sublayer ?? b.sublayer,
    parts: parts.size ? parts : undefined,
    fusions: union(a.fusions, b.fusions),
    opaque: a.opaque || b.opaque,
    fromInput: a.fromInput && b.fromInput,
    passthrough: a.passthrough === b.passthrough ? a.passthrough : undefined,
    module: a.module === b.module ? a.module : undefined,
  };
}

/** Adds one value's modalities to another's: a modality dropped in one and not the other is not dropped. */
function addParts(into: Map<string, ModalityPart>, from: ReadonlyMap<string, ModalityPart> | undefined): void {
  for (const [k, p] of from ?? []) {
    const q = into.get(k);
    into.set(k, q ? (q.drop && p.drop ? q : {}) : p);
  }
}

function union<T>(a: ReadonlySet<T> | undefined, b: ReadonlySet<T> | undefined): ReadonlySet<T> | undefined {
  if (!a || a.size === 0) return b;
  if (!b || b.size === 0) return a;
  return new Set([...a, ...b]);
}

function joinEnv(a: Env, b: Env): Env {
  const out = new Map(a);
  for (const [k, v] of b) out.set(k, join(a.get(k), v));
  return out;
}

/** Several values become one: the modalities and fusions they carry travel on; what each went through last does not. */
function mixed(values: FlowValue[]): FlowValue {
  const parts = new Map<string, ModalityPart>();
  let fusions: ReadonlySet<Fusion> | undefined;
  for (const v of values) {
    addParts(parts, v.parts);
    fusions = union(fusions, v.fusions);
  }
  return { parts: parts.size ? parts : undefined, fusions };
}

const MAX_HELPER_DEPTH = 4;

/** Statements and expressions one method's evaluation may visit, helpers and loop passes included. */
const MAX_STEPS = 50_000;

class BudgetExceeded extends Error {}

class MethodEvaluator {
  private readonly selfName: string;
  private returns: FlowValue[] = [];
  private readonly model: FileModel;
  private loopDepth = 0;

  constructor(
    private readonly analysis: ForwardAnalysis,
    private readonly cls: ModuleClass,
    private readonly method: Node,
    private readonly flow: MethodFlow,
    private readonly depth: number,
    /** The call of this helper in the method being analysed. */
    private readonly callSite: Node | null,
    private readonly budget: { steps: number },
  ) {
    this.selfName = firstParameter(method) ?? 'self';
    this.model = analysis.model;
  }

  run(env: Env): FlowValue[] {
    const body = this.method.childForFieldName('body');
    if (body) this.block(body, env);
    return this.returns;
  }

  /** Runs a block; returns the environment after it, or null when every path through it returns or raises. */
  private block(block: Node, env: Env): Env | null {
    let current: Env | null = env;
    for (const stmt of block.namedChildren) {
      if (!stmt || !current) break;
      current = this.statement(stmt, current);
    }
    return current;
  }

  private statement(stmt: Node, env: Env): Env | null {
    if (--this.budget.steps < 0) throw new BudgetExceeded();
    switch (stmt.type) {
      case 'expression_statement': {
        const expr = stmt.namedChild(0);
        if (expr) this.effect(expr, env);
        return env;
      }
      case 'return_statement': {
        const value = stmt.namedChild(0);
        this.returns.push(value ? this.expr(value, env) : {});
        return null;
      }
      case 'raise_statement':
        return null;
      case 'if_statement':
        return this.ifStatement(stmt, env);
      case 'for_statement':
      case 'while_statement': {
        if (stmt.type === 'for_statement') this.bindLoopTarget(stmt, env);
        const body = stmt.childForFieldName('body');
        if (!body) return env;
        // Twice, so a value set in one iteration is seen by the next (`x = drop(x)` in a loop); inner loops of
        // inner loops once, or nesting would multiply the work.
        this.loopDepth++;
        try {
          const once = this.block(body, new Map(env)) ?? env;
          if (this.loopDepth > 2) return joinEnv(env, once);
          const twice = this.block(body, joinEnv(env, once)) ?? once;
          return joinEnv(env, twice);
        } finally {
          this.loopDepth--;
        }
      }
      case 'with_statement':
      case 'try_statement': {
        let current: Env | null = env;
        for (const child of stmt.namedChildren) {
          if (!child || !current) continue;
          if (child.type === 'block') current = this.block(child, current);
          else if (child.type === 'except_clause' || child.type === 'finally_clause' || child.type === 'else_clause') {
            const inner = child.namedChildren.find((c) => c?.type === 'block');
            if (inner) current = joinEnv(current, this.block(inner, new Map(current)) ?? current);
          }
        }
        return current;
      }
      case 'function_definition':
      case 'class_definition':
      case 'decorated_definition':
        return env;
      default:
        return env;
    }
  }

  private ifStatement(stmt: Node, env: Env): Env | null {
    const condition = stmt.childForFieldName('condition');
    if (condition) this.expr(condition, env);
    const consequence = stmt.childForFieldName('consequence');
    let result: Env | null = consequence ? this.block(consequence, new Map(env)) : env;
    let sawElse = false;
    for (const alt of stmt.childrenForFieldName('alternative')) {
      if (!alt) continue;
      const block = alt.childForFieldName('body') ?? alt.namedChildren.find((c) => c?.type === 'block');
      if (alt.type === 'elif_clause') {
        const cond = alt.childForFieldName('condition');
        if (cond) this.expr(cond, env);
      } else sawElse = true;
      const branch = block ? this.block(block, new Map(env)) : env;
      result = result && branch ? joinEnv(result, branch) : result ?? branch;
    }
    if (!sawElse) result = result ? joinEnv(result, env) : env;
    return result;
  }

  /** `self.<name>` as a module, when the node is one. */
  private moduleOf(node: Node): BoundModule | undefined {
    if (node.type !== 'attribute' || node.childForFieldName('object')?.text !== this.selfName) return undefined;
    const name = node.childForFieldName('attribute')?.text ?? '';
    return { description: this.analysis.describeAttribute(this.cls, name), label: node.text, attribute: name };
  }

  private bindLoopTarget(stmt: Node, env: Env): void {
    const left = stmt.childForFieldName('left');
    const right = stmt.childForFieldName('right');
    if (!left || !right) return;
    const collection = this.moduleOf(right);
    const element = collection?.description.elements?.length === 1 ? collection.description.elements[0] : undefined;
    // `for attn, ff in self.layers`, where each element is `nn.ModuleList([attn, ff])`.
    if (left.type === 'pattern_list' || left.type === 'tuple_pattern') {
      const names = left.namedChildren.filter((n): n is Node => !!n);
      names.forEach((n, i) => {
        const d = element?.elements?.[i];
        if (n.type === 'identifier') env.set(n.text, d ? { module: { description: { ...d, role: d.role ?? roleFromName(n.text) }, label: n.text, attribute: null } } : { opaque: true });
      });
    } else if (left.type === 'identifier') {
      env.set(left.text, element ? { module: { description: element, label: left.text, attribute: null } } : { opaque: true });
    }
  }

  /** An expression evaluated for its effects on the environment (assignments, in-place calls). */
  private effect(expr: Node, env: Env): void {
    switch (expr.type) {
      case 'assignment': {
        const left = expr.childForFieldName('left');
        const right = expr.childForFieldName('right');
        if (!left || !right) return;
        const value = this.expr(right, env);
        this.assign(left, value, env, expr);
        return;
      }
      case 'augmented_assignment': {
        const left = expr.childForFieldName('left');
        const right = expr.childForFieldName('right');
        const op = expr.childForFieldName('operator')?.text ?? '';
        if (!left || !right) return;
        const current = this.expr(left, env);
        const value = this.binary(op.replace('=', ''), left, current, right, this.expr(right, env), expr);
        this.assign(left, value, env, expr);
        return;
      }
      default:
        this.expr(expr, env);
    }
  }

  private assign(target: Node, value: FlowValue, env: Env, at: Node): void {
    switch (target.type) {
      case 'identifier':
        env.set(target.text, value);
        return;
      case 'pattern_list':
      case 'tuple_pattern':
      case 'tuple':
      case 'list_pattern':
      case 'list': {
        const names = target.namedChildren.filter((n): n is Node => !!n);
        names.forEach((n, i) => {
          // `out, _ = self.mha(q, k, v)`: the first of a module's outputs is the output.
          const element = value.elements ? value.elements[i] ?? {} : i === 0 ? value : { parts: value.parts, fusions: value.fusions, opaque: value.opaque };
          this.assign(n, element, env, at);
        });
        return;
      }
      case 'subscript': {
        // `h[mask] = feats`: the features are written into the sequence.
        const object = target.childForFieldName('value');
        if (object?.type === 'identifier') {
          const current = env.get(object.text) ?? {};
          env.set(object.text, this.merge([current, value], at));
        }
        return;
      }
      default:
        return;
    }
  }

  private expr(node: Node, env: Env): FlowValue {
    if (--this.budget.steps < 0) throw new BudgetExceeded();
    switch (node.type) {
      case 'identifier':
        return env.get(node.text) ?? {};
      case 'parenthesized_expression':
        return node.namedChild(0) ? this.expr(node.namedChild(0)!, env) : {};
      case 'call':
        return this.call(node, env);
      case 'binary_operator': {
        const left = node.childForFieldName('left');
        const right = node.childForFieldName('right');
        const op = node.childForFieldName('operator')?.text ?? '';
        if (!left || !right) return {};
        return this.binary(op, left, this.expr(left, env), right, this.expr(right, env), node);
      }
      case 'unary_operator': {
        const arg = node.childForFieldName('argument');
        return arg ? this.expr(arg, env) : {};
      }
      case 'conditional_expression': {
        const parts = node.namedChildren.filter((n): n is Node => !!n);
        if (parts.length < 3) return {};
        this.expr(parts[1], env);
        return join(this.expr(parts[0], env), this.expr(parts[2], env));
      }
      case 'tuple':
      case 'expression_list':
        return { elements: node.namedChildren.filter((n): n is Node => !!n).map((n) => this.expr(n, env)) };
      case 'subscript': {
        const object = node.childForFieldName('value');
        const value = object ? this.expr(object, env) : {};
        // `qkv[0]`, `out[0]`: an element of a tuple, or a slice of the same tensor.
        if (value.elements) {
          const index = numericLiteral(node.childForFieldName('subscript'));
          return index !== undefined ? value.elements[index] ?? {} : mixed(value.elements);
        }
        return value;
      }
      case 'attribute': {
        const object = node.childForFieldName('object');
        // `x.T`, `x.mT`: still the same elements.
        if (object && object.type !== 'identifier') return this.expr(object, env);
        if (object && object.text !== this.selfName) return env.get(object.text) ?? {};
        return {};
      }
      case 'list':
        return { elements: node.namedChildren.filter((n): n is Node => !!n).map((n) => this.expr(n, env)) };
      case 'list_comprehension':
      case 'generator_expression':
        return { opaque: true };
      default:
        return {};
    }
  }

  private binary(op: string, leftNode: Node, left: FlowValue, rightNode: Node, right: FlowValue, at: Node): FlowValue {
    const flows = (v: FlowValue) => !!(v.drop || v.logits || v.sublayer || v.parts || v.fromInput || v.opaque || v.passthrough);
    // A product with `self.gamma` scales; a sum with `self.pos_embed` mixes other values in.
    const isTensor = (v: FlowValue, n: Node) => flows(v) || !isScalarExpression(n, op === '*' || op === '/' || op === '//' ? this.selfName : null);
    if (op === '*' || op === '/' || op === '//') {
      // Scaling by a number keeps every zero a zero (and every element where it was).
      if (!isTensor(right, rightNode)) return left;
      if (op === '*' && !isTensor(left, leftNode)) return right;
      return { ...mixed([left, right]), logits: left.logits ?? right.logits, drop: left.drop ?? right.drop, sublayer: left.sublayer ?? right.sublayer, fromInput: left.fromInput || right.fromInput, passthrough: left.passthrough ?? right.passthrough };
    }
    if (op === '+' || op === '-') {
      if (!isTensor(right, rightNode)) return left;
      if (!isTensor(left, leftNode)) return right;
      // `x + self.attn(x)`: a residual add of a sublayer output that nothing regularized.
      for (const [value, node, other] of [[right, rightNode, left], [left, leftNode, right]] as const) {
        if (value.sublayer && !other.sublayer && op === '+') this.flow.residuals.push({ add: at, branch: node, sublayer: value.sublayer });
      }
      // An additive mask keeps logits logits.
      return { ...mixed([left, right]), logits: left.logits ?? right.logits, opaque: left.opaque && right.opaque };
    }
    return mixed([left, right]);
  }

  private merge(values: FlowValue[], at: Node): FlowValue {
    const result = mixed(values);
    if (!result.parts) return result;
    const fusions = new Set(result.fusions ?? []);
    // Text that went through dropout meets another modality that did not: that modality skips dropout.
    const textDropped = values.map((v) => v.parts?.get('text')).find((p) => p?.drop)?.drop;
    if (textDropped) {
      for (const v of values) {
        for (const [modality, part] of v.parts ?? []) {
          if (modality === 'text' || part.drop) continue;
          const fusion: Fusion = { drop: textDropped, merge: at, modality, site: this.callSite ?? at, covered: false };
          this.flow.fusions.push(fusion);
          fusions.add(fusion);
        }
      }
    }
    // The merged sequence's text part keeps the dropout it had; the modalities are mixed in undropped.
    const parts = new Map(result.parts);
    if (textDropped) parts.set('text', { drop: textDropped });
    return { parts, fusions };
  }

  private dropped(input: FlowValue, step: DropStep): FlowValue {
    // Drop path after dropout (timm's `proj_drop` + `drop_path`) is two different regularizers, not one twice.
    if (input.drop && isDropout(dropKind(input.drop)) && isDropout(dropKind(step)) && input.drop.call.id !== step.call.id && !(input.drop.inner && step.inner && sameInnerDrop(input.drop.inner, step.inner))) {
      this.flow.doubles.push({ outer: step, inner: input.drop });
    }
    for (const f of input.fusions ?? []) f.covered = true;
    const parts = new Map<string, ModalityPart>();
    for (const k of input.parts?.keys() ?? []) parts.set(k, { drop: step });
    return { drop: step, logits: step, parts: parts.size ? parts : undefined, fusions: input.fusions, fromInput: false };
  }

  private call(node: Node, env: Env): FlowValue {
    const fn = node.childForFieldName('function');
    const args = callArguments(node);
    const positional = args.filter((a) => a.type !== 'keyword_argument' && a.type !== 'list_splat' && a.type !== 'dictionary_splat');
    const argValues = () => args.map((a) => this.expr(a.type === 'keyword_argument' ? a.childForFieldName('value') ?? a : a, env));
    if (!fn) return {};

    // self.<name>(…): a submodule or a helper method.
    if (fn.type === 'attribute' && fn.childForFieldName('object')?.text === this.selfName) {
      const name = fn.childForFieldName('attribute')?.text ?? '';
      const helper = methodOf(this.model, this.cls, name);
      if (helper && !this.cls.members.submodules.some((s) => s.name === name)) return this.helper(helper, node, args, env);
      const description = this.analysis.describeAttribute(this.cls, name);
      // A merging method the file does not define (inherited from a library base class): whatever it receives is merged.
      if (!helper && description === UNKNOWN && MERGE_METHOD.test(name)) return this.merge(argValues(), node);
      return this.moduleCall({ description, label: fn.text, attribute: name }, node, positional, argValues, env);
    }

    // `self.model.embed_tokens(ids)`, `self.get_input_embeddings()(ids)`: a module of a module, known by its name only.
    if ((fn.type === 'attribute' && rootedAt(fn, this.selfName)) || (fn.type === 'call' && /\bget_input_embeddings\b/.test(fn.text))) {
      const name = fn.type === 'attribute' ? fn.childForFieldName('attribute')?.text ?? '' : 'embed_tokens';
      return this.moduleCall({ description: UNKNOWN, label: fn.text, attribute: name }, node, positional, argValues, env);
    }

    // A module bound to a local name (`for attn, ff in self.layers: x = attn(x) + x`).
    if (fn.type === 'identifier' && env.get(fn.text)?.module) {
      return this.moduleCall(env.get(fn.text)!.module!, node, positional, argValues, env);
    }

    const qualified = this.model.imports.resolve(fn);
    const spec = regularizer(qualified);
    if (spec?.form === 'function') {
      const input = positional[0] ? this.expr(positional[0], env) : {};
      argValues();
      if (spec.kind === 'attention-dropout') return mixed([input]);
      const rateArg = findArgument(node, spec.rate);
      const rate = typeof rateArg === 'object' ? rateOf(this.model, this.cls, rateArg.node) : undefined;
      return this.dropped(input, { call: node, label: fn.text, rate, spec });
    }
    if (qualified && SOFTMAX_FUNCTIONS.has(qualified)) return this.softmax(positional[0] ? this.expr(positional[0], env) : {}, node);
    if (qualified && MERGE_FUNCTIONS.has(qualified)) {
      const values = argValues();
      const sequence = qualified === 'torch.where' ? values.slice(1) : values[0]?.elements ?? values.slice(0, 1);
      return this.merge(sequence, node);
    }
    if (qualified && ELEMENTWISE_FUNCTIONS.has(qualified)) {
      const input = positional[0] ? this.expr(positional[0], env) : {};
      argValues();
      return input;
    }

    // Tensor methods: `x.view(…)`, `scores.softmax(-1)`, `h.masked_scatter(mask, feats)`.
    if (fn.type === 'attribute' && qualified === null) {
      const object = fn.childForFieldName('object')!;
      const method = fn.childForFieldName('attribute')?.text ?? '';
      const receiver = this.expr(object, env);
      const values = argValues();
      if (method === 'softmax' || method === 'log_softmax') return this.softmax(receiver, node);
      if (method === 'masked_scatter' || method === 'masked_scatter_' || method === 'index_put' || method === 'index_put_' || method === 'scatter' || method === 'scatter_') {
        const merged = this.merge([receiver, values[values.length - 1] ?? {}], node);
        if (method.endsWith('_') && object.type === 'identifier') env.set(object.text, merged);
        return merged;
      }
      if (ELEMENTWISE_METHODS.has(method)) return receiver;
      if (method === 'add' || method === 'add_') {
        const sum = this.binary('+', object, receiver, positional[0] ?? object, values[0] ?? {}, node);
        if (method === 'add_' && object.type === 'identifier') env.set(object.text, sum);
        return sum;
      }
      return { ...mixed([receiver, ...values]), opaque: receiver.opaque };
    }
    const values = argValues();
    // A function of the file or a library call we do not model: its result is a new tensor we know nothing of.
    return { ...mixed(values), opaque: true };
  }

  private softmax(input: FlowValue, node: Node): FlowValue {
    if (input.logits) this.flow.logits.push({ drop: input.logits, softmax: node });
    return { parts: input.parts, fusions: input.fusions };
  }

  private moduleCall(bound: BoundModule, node: Node, positional: Node[], argValues: () => FlowValue[], env: Env): FlowValue {
    const d = bound.description;
    const input = positional[0] ? this.expr(positional[0], env) : {};
    const values = argValues();
    if (d.regularizer) {
      const spec = d.regularizer.spec;
      if (spec.kind === 'attention-dropout') return input;
      return this.dropped(input, { call: node, label: bound.label, rate: d.regularizer.rate, spec });
    }
    if (d.role === 'softmax') return this.softmax(input, node);
    if (d.initParameter) return { ...mixed(values), passthrough: d.initParameter, opaque: true };
    if (d.preservesInput) return input;
    const attribute = bound.attribute ?? '';
    const base = mixed(values);
    // Token embeddings start the text part of a sequence; encoders of another modality start theirs.
    if (TEXT_EMBEDDING_NAME.test(attribute) || (d.role === 'embedding' && !/pos|position|wpe|type|segment/i.test(attribute))) {
      return { parts: new Map([['text', {}]]) };
    }
    const modality = modalityOf(attribute);
    if (modality && d.role !== 'attention' && d.role !== 'feedforward') {
      const parts = new Map(base.parts ?? []);
      parts.set(modality, {});
      for (const [k] of parts) if (k !== modality && k !== 'text') parts.delete(k);
      return { parts, fusions: base.fusions };
    }
    const role = d.role === 'attention' || d.role === 'feedforward' ? d.role : d.role === undefined && d.output !== 'unknown' ? roleFromName(attribute || bound.label) : undefined;
    if (d.output === 'regularized' && d.lastDrop) {
      const step: DropStep = { call: node, label: bound.label, rate: d.lastDrop.rate, inner: { node: d.lastDrop.node, external: d.lastDrop.external, label: d.lastDrop.label, owner: d.lastDrop.owner, kind: d.lastDrop.kind } };
      return { parts: base.parts, fusions: base.fusions, drop: step };
    }
    if (role && d.output === 'unregularized') {
      return { parts: base.parts, fusions: base.fusions, sublayer: { role, call: node, attribute: bound.attribute, label: bound.label } };
    }
    return { parts: base.parts, fusions: base.fusions, opaque: d.output === 'unknown' };
  }

  private helper(method: Node, call: Node, args: Node[], env: Env): FlowValue {
    const values = args.map((a) => this.expr(a.type === 'keyword_argument' ? a.childForFieldName('value') ?? a : a, env));
    if (this.depth >= MAX_HELPER_DEPTH || method.id === this.method.id) return { ...mixed(values), opaque: true };
    const params = parameterList(method).slice(1);
    const bound = new Map<string, FlowValue>();
    let position = 0;
    args.forEach((a, i) => {
      if (a.type === 'keyword_argument') {
        const name = a.childForFieldName('name')?.text;
        if (name) bound.set(name, values[i]);
      } else if (a.type !== 'list_splat' && a.type !== 'dictionary_splat') {
        const p = params[position++];
        if (p && !p.keywordOnly) bound.set(p.name, values[i]);
      }
    });
    const evaluator = new MethodEvaluator(this.analysis, this.cls, method, this.flow, this.depth + 1, this.callSite ?? call, this.budget);
    const returns = evaluator.run(bound);
    if (returns.length === 0) return {};
    return returns.reduce((a, b) => (a.elements && b.elements ? { elements: a.elements.map((e, i) => join(e, b.elements![i])) } : join(a, b)));
  }
}

/** Names that hold numbers, not tensors: `self.scale`, `math.sqrt(d)`, `head_dim ** -0.5`. */
/** `self.a.b`: an attribute chain that starts at `self` and has at least two links. */
function rootedAt(node: Node, selfName: string): boolean {
  let object = node.childForFieldName('object');
  if (object?.type !== 'attribute') return false;
  while (object?.type === 'attribute') object = object.childForFieldName('object');
  return object?.type === 'identifier' && object.text === selfName;
}

function isScalarExpression(node: Node, selfName: string | null): boolean {
  switch (node.type) {
    case 'integer':
    case 'float':
      return true;
    case 'attribute':
      return (selfName !== null && node.childForFieldName('object')?.text === selfName) || /^(math|np|numpy)$/.test(node.childForFieldName('object')?.text ?? '');
    case 'call': {
      const fn = node.childForFieldName('function')?.text ?? '';
      return /^(math\.\w+|float|int|len)$/.test(fn);
    }
    case 'identifier':
      return /scale|temperature|alpha|gamma|beta|coef|factor|^d_?k$|^dim|head_dim|^\w*size$|^n_|^num_/i.test(node.text);
    case 'binary_operator':
    case 'parenthesized_expression':
    case 'unary_operator':
      return node.namedChildren.every((c) => !c || isScalarExpression(c, selfName));
    default:
      return false;
  }
}

/** Names called in a text, memoized by the text: after an edit, only the edited class is scanned again. */
const calledNamesByText = new TextMemo<string[]>();

function calledNames(text: string): string[] {
  return calledNamesByText.get(text, () => [...new Set([...text.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)].map((m) => m[1]))]);
}

const DROPOUT_WORD = /dropout|drop_?(prob|rate|path|p)\b|pdrop|\bp_?drop|attn_drop|proj_drop|\bdrop\b/gi;

/**
 * Does the text name dropout outside comments ("no dropout here" configures nothing)? A comment runs from `#` to
 * the end of the line, and no word of DROPOUT_WORD spans a line, so a match counts when its line has no `#` before
 * it. The matches are visited in place, without copying the file to strip its comments: this runs on every edit.
 */
export function mentionsDropoutOutsideComments(text: string): boolean {
  DROPOUT_WORD.lastIndex = 0;
  for (let m = DROPOUT_WORD.exec(text); m; m = DROPOUT_WORD.exec(text)) {
    if (!text.slice(text.lastIndexOf('\n', m.index) + 1, m.index).includes('#')) return true;
  }
  return false;
}

/** Does the node lie inside the class's own text (a finding of a class statement must)? */
export function within(cls: ModuleClass, node: Node): boolean {
  return node.startIndex >= cls.node.startIndex && node.endIndex <= cls.node.endIndex;
}

/** The effective drop rate of two dropouts in a row, as a number when both rates are known, else as a formula. */
export function compoundRate(a: Rate | undefined, b: Rate | undefined): string {
  if (a?.value !== undefined && b?.value !== undefined) {
    const p = 1 - (1 - a.value) * (1 - b.value);
    return `${+(p * 100).toFixed(2)}%`;
  }
  const pa = a?.text ?? 'p';
  const pb = b?.text ?? 'p';
  return pa === pb ? `1 - (1 - ${pa})²` : `1 - (1 - ${pa})(1 - ${pb})`;
}

function dropKind(step: DropStep): RegularizerKind {
  return step.inner?.kind ?? step.spec?.kind ?? 'dropout';
}

function isDropout(kind: RegularizerKind): boolean {
  return kind === 'dropout' || kind === 'channel-dropout' || kind === 'alpha-dropout' || kind === 'feature-alpha-dropout';
}
