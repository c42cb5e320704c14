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
  /** The sublayer output it drops (`self.dropout2(self.ff(x))`), for messages. */
  of?: SublayerOutput;
  /**
   * The sublayer was handed to a helper method as an argument (`self._residual(self.ff, x)`): what follows it in the
   * helper also follows the other modules handed in, so a fix there would change them all.
   */
  handedIn?: boolean;
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
  /** The method parameters its arguments are computed from. */
  inputs?: ReadonlySet<string>;
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
  /** A dropout of attention scores followed by element-wise steps, additive masks included (RG009). */
  logits?: DropStep;
  /**
   * Attention scores: a product of two tensors (`q @ k.transpose(-2, -1)`, `torch.matmul`, `torch.einsum`), with
   * only element-wise steps since (scaling, masking, an added bias). What a dropout must be applied to for RG009.
   */
  scores?: boolean;
  /**
   * The parameters of the method this value is computed from. A residual add joins a branch to the stream its
   * sublayer read: a position bias computed from a buffer, added to attention logits, shares none of them.
   */
  inputs?: ReadonlySet<string>;
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
  /** The method's input with branches added to it (`x + self.attn(x)`): a residual stream. */
  stream?: boolean;
  /** Produced by calling a module that the wrapper received as this `__init__` parameter (`PreNorm(dim, fn)`). */
  passthrough?: string;
  /**
   * Built from a dropout module or an attention/feed-forward module bound to a local name (`for attn, ff in
   * self.layers`).
   */
  module?: BoundModule;
  /**
   * The value is the output of a submodule that `__init__` builds on one of several paths, and on that path its
   * last step is this dropout (speechbrain's `pos_ffn`, a `Sequential` ending in `nn.Dropout` when `ffn_type ==
   * "1dcnn"`). Nothing is known of the value as a whole; only that path's construction can be blamed.
   */
  branchDrops?: DropStep[];
}

export interface BoundModule {
  description: ModuleDescription;
  label: string;
  attribute: string | null;
  /** Handed to a helper method as an argument. */
  handedIn?: boolean;
}

export interface ResidualAdd {
  /** The `+` expression or augmented assignment. */
  add: Node;
  /** The operand that carries the sublayer output. */
  branch: Node;
  sublayer: SublayerOutput;
}

/** A residual add whose branch went through a dropout just before it (`x + self.dropout2(ff)`): a dropped sibling. */
export interface DroppedBranch {
  add: Node;
  branch: Node;
  drop: DropStep;
}

export interface DoubleDropout {
  outer: DropStep;
  inner: DropStep;
  /**
   * The inner dropout ends the submodule only on one of the paths `__init__` builds it by: the finding belongs to
   * that construction, since the outer dropout is right for the others.
   */
  branch?: boolean;
}

export interface DroppedLogits {
  drop: DropStep;
  softmax: Node;
}

/** What evaluating one method found. */
export interface MethodFlow {
  returns: FlowValue[];
  residuals: ResidualAdd[];
  /** Residual adds whose branch is dropped: what makes an undropped sibling an asymmetry (RG002). */
  droppedBranches: DroppedBranch[];
  doubles: DoubleDropout[];
  logits: DroppedLogits[];
  fusions: Fusion[];
}

/** What a submodule is, judged from the expression `__init__` assigns to it. */
export interface ModuleDescription {
  /** `node` is absent for a module of another workspace file (its place is `lastDrop.external`). */
  regularizer?: { spec: RegularizerSpec; rate?: Rate; node?: Node };
  role?: LayerRole;
  /** Whether the module's output has been through a dropout (or drop path) as its last regularizing step. */
  output: 'regularized' | 'unregularized' | 'unknown';
  /** The dropout its output ends with. */
  lastDrop?: InnerDrop & { rate?: Rate };
  /** The module hands its input back element-wise only (`LayerScale`, `nn.Identity`, activations). */
  preservesInput?: boolean;
  /**
   * The module returns its input with its own branches added (a whole residual block, diffusers'
   * `GatedSelfAttentionDense`): its output is the stream, not a branch.
   */
  residual?: boolean;
  /** The module is the `__init__` parameter of this name (a wrapper's `fn`). */
  initParameter?: string;
  /**
   * For `ModuleList`s: what their elements are, when the elements are described one by one (`nn.ModuleList([attn,
   * ff])`).
   */
  elements?: ModuleDescription[];
  /**
   * Built differently on different paths of `__init__` that do not agree (the description is otherwise unknown):
   * the dropouts the output ends with on the paths whose construction, written in the class, ends with one.
   */
  branchDrops?: (InnerDrop & { rate?: Rate })[];
}

/** A module class of the file seen from outside: what `forward` returns. */
export interface ModuleSummary {
  role?: LayerRole;
  output: 'regularized' | 'unregularized' | 'unknown';
  lastDrop?: InnerDrop & { rate?: Rate };
  preservesInput: boolean;
  /** `forward` returns its input with branches added: a residual block, whose output is the stream. */
  residual?: boolean;
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
