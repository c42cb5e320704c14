import type { Parameter, RegularizerKind, RegularizerSpec } from '../catalog';
import type { LayerRole } from '../library';
import type { Node } from '../parser';
import type { ExternalLocation } from '../types';

/**
 * The facts of the data flow (server/engine/flow/): what a tensor has been through (`FlowValue`), the steps that
 * drop it (`DropStep`), what evaluating one method found (`MethodFlow`: fusions, residual adds, double dropouts,
 * dropped logits), and what a submodule or a module class of the file is seen from outside (`ModuleDescription`,
 * `ModuleSummary`). A leaf: it imports no code of the analysis, so every file of it, and the workspace scope, can
 * use these types.
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
  /**
   * Where the merge happens in the method being analysed: the merge itself, or the call of the helper method that
   * merges.
   */
  site: Node;
  /** Set once a dropout is applied to a value that contains the merged sequence. */
  covered: boolean;
}

export interface FlowValue {
  /** The value's last step is this dropout, with only shape-preserving element-wise steps since (RG010). */
  drop?: DropStep;
  /** A dropout followed by element-wise steps, additive masks included: logits stay logits (RG009). */
  logits?: DropStep;
  /**
   * The unregularized output of an attention or feed-forward sublayer, with nothing but element-wise steps since
   * (RG002).
   */
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
  /**
   * Built from a dropout module or an attention/feed-forward module bound to a local name (`for attn, ff in
   * self.layers`).
   */
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
  /**
   * For `ModuleList`s: what their elements are, when the elements are described one by one (`nn.ModuleList([attn,
   * ff])`).
   */
  elements?: ModuleDescription[];
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

/**
 * A module nothing is known of. One object: the evaluator asks whether a description is this one (a merging
 * method inherited from a library base class is described as unknown).
 */
export const UNKNOWN_MODULE: ModuleDescription = { output: 'unknown' };

export function dropKind(step: DropStep): RegularizerKind {
  return step.inner?.kind ?? step.spec?.kind ?? 'dropout';
}

export function isDropout(kind: RegularizerKind): boolean {
  return (
    kind === 'dropout' || kind === 'channel-dropout' || kind === 'alpha-dropout' || kind === 'feature-alpha-dropout'
  );
}

export function sameInnerDrop(a: InnerDrop, b: InnerDrop): boolean {
  if (a.node && b.node) return a.node.id === b.node.id;
  if (a.external && b.external)
    return (
      a.external.file === b.external.file &&
      a.external.range.start.line === b.external.range.start.line &&
      a.external.range.start.character === b.external.range.start.character
    );
  return false;
}
