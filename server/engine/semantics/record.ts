/**
 * The record of a hand-written regularizer (`RegularizerSemantics`) and its parts: what the symbolic evaluation of
 * its code finds (mask granularity, keep probability, train scale and switch, evaluation behaviour, expectations),
 * shared by the rules RG003–RG005, the hover, the sites and the profiler.
 */
import type { Node } from '../parser';

/**
 * How many random decisions a mask makes: one per element, per (sample, channel), per sample, or one for the whole
 * batch.
 */
export type Granularity = 'element' | 'channel' | 'sample' | 'batch' | 'conditional' | 'unknown';

/** A scalar expression over the parameters (`1 - drop_prob`), as text and, where every rate is known, as a number. */
export interface ScalarValue {
  expression: string;
  /** With the parameters' defaults (see `RegularizerSemantics.defaults`); absent when a value is unknown. */
  value?: number;
}

export interface MaskInfo {
  /**
   * The call that creates the random decision (`torch.rand(...)`, `….bernoulli_(keep)`), or the call of the helper that
   * does.
   */
  node: Node;
  granularity: Granularity;
  /** The shape expression, when the mask has one (`(x.shape[0],) + (1,) * (x.ndim - 1)`); fixes rewrite it. */
  shapeNode: Node | null;
  /** For `granularity: 'conditional'`: the branch condition and the granularity on each side. */
  byCondition?: { condition: string; then: Granularity; else: Granularity };
  /** `torch.FloatTensor((B, 1, 1, 1))`: a tensor holding those values, not a tensor of that shape. */
  shapeBug?: string;
}

/** A boolean parameter that turns the rescale on or off (timm's `scale_by_keep`). */
export interface ScaleSwitch {
  name: string;
  default: boolean | undefined;
  /** Some call in the file passes a value other than a literal False for it. */
  enabledByCaller: boolean;
  /** The default's literal, which a fix turns to True. */
  defaultNode: Node | null;
}

export interface RegularizerSemantics {
  /** The function, method or class name. */
  name: string;
  /** `function_definition` (a free function or a method) or `class_definition` (the class's `forward`). */
  node: Node;
  /** Drop path / stochastic depth (one decision per sample is intended), or dropout of activations or weights. */
  kind: 'drop-path' | 'dropout';
  /** What the mask multiplies: the input activation, or a weight (DropConnect, quant-noise). */
  target: { name: string; isWeight: boolean };
  mask: MaskInfo;
  /** Probability that a value is kept in training. */
  keepProbability: ScalarValue;
  /** Factor applied to kept values in training; `1` when nothing rescales them. */
  trainScale: ScalarValue & { switch?: ScaleSwitch };
  /**
   * What evaluation does: nothing, a fixed multiply, the same random masking, or nothing the function decides (a free
   * function without a training flag leaves that to its caller).
   */
  evaluation: { behaviour: 'identity' | 'scaled' | 'stochastic' | 'caller' | 'unknown'; factor?: ScalarValue };
  /** E[y]/E[x]: keep probability × train scale in training; the evaluation factor in evaluation. */
  expectation: { train: ScalarValue; eval?: ScalarValue };
  /** Train and evaluation expectations differ (checked symbolically at sample points of the parameters). */
  expectationMismatch: boolean;
  /** The batch-wide decision is a documented choice (a `mode == "batch"` branch, a docstring that says so). */
  deliberateBatch: boolean;
  /** Where the mask meets the tensor (`x * mask`, `x.masked_fill(m, 0)`), when inside this function. */
  application: Node | null;
  /**
   * The one place a scalar scales the masked value (`x * mask / p`), when inside this function: wrong scales are fixed
   * there.
   */
  scaleSite: { node: Node; kept: Node } | null;
  /** Parameter defaults used for the numbers. */
  defaults: Record<string, number>;
  /** Source text of the keep probability valid inside the function (`keep_prob`, `1 - self.p`), for fixes. */
  keepSource?: string;
  /** Name of the tensor the mask is applied to, as spelled in the function (`x`), for fixes. */
  inputSource?: string;
}
