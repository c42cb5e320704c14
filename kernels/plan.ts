/**
 * What the profiler runs, as plain data: the kernel a regularizer site maps to (`KernelSpec`), the request the
 * language server or CLI sends to the worker (`ProfileRequest`), and the mask plan every dropout-like kernel
 * reduces to. No TensorFlow.js here: the host (language server, CLI) imports this file to check a request's
 * memory before a worker ever sees it.
 */

import type { RegularizerProgram } from './program';

/** Which values share one keep/drop draw. */
export type Granularity = 'element' | 'channel' | 'sample' | 'batch';

/**
 * The semantics of a hand-written regularizer, as the profiler needs them. Plain on purpose: the engine's
 * derived `RegularizerSemantics` (issue 4) maps onto this record.
 */
export interface HandWrittenSemantics {
  granularity: Granularity;
  /** Probability that a unit (element, channel, sample, batch) is kept in training. */
  keepProb: number;
  /** Factor applied to kept values in training (1 / keepProb for inverted dropout). */
  trainScale: number;
  /** Factor applied to every value in evaluation (1 = identity). */
  evalFactor: number;
}

export type KernelSpec =
  | { kind: 'dropout'; p: number }
  /** Dropout1d/2d/3d, `F.dropout2d`, `torch.feature_dropout`: whole channels (dim 1) of each sample. */
  | { kind: 'channel-dropout'; p: number }
  | { kind: 'alpha-dropout'; p: number }
  | { kind: 'feature-alpha-dropout'; p: number }
  /** timm DropPath (`scaleByKeep` default true) and torchvision StochasticDepth (`mode` row|batch, always scaled). */
  | { kind: 'drop-path'; p: number; mode: 'row' | 'batch'; scaleByKeep: boolean }
  /** Dropout on attention probabilities after softmax, or (a mistake) on the logits before it. */
  | { kind: 'attention-dropout'; p: number; numHeads: number; placement: 'probs' | 'logits' }
  /** Text then image tokens in one sequence; dropout after the merge or on one modality before it. */
  | {
      kind: 'fusion';
      p: number;
      textTokens: number;
      placement: 'after-merge' | 'text-before-merge' | 'image-before-merge';
    }
  /** `torch.linspace(0, rate, depth)` drop-path rates, one per block. */
  | { kind: 'schedule'; rate: number; depth: number }
  | { kind: 'semantics'; semantics: HandWrittenSemantics }
  /**
   * The user's own code, interpreted (kernels/interpreter/) on the synthetic input in both modes. `rate` is the
   * drop rate its arguments amount to, which the interval is checked against.
   */
  | { kind: 'program'; name: string; program: RegularizerProgram; rate: number };

export type KernelKind = KernelSpec['kind'];

export interface ProfileRequest {
  kernel: KernelSpec;
  /** The activation shape, e.g. [8, 256, 768] (batch first). Attention sites use [B, T, C] and `numHeads`. */
  shape: number[];
  seed: number;
  /**
   * The most timed calls after warm-up (default 5); the median is reported. Once at least 3 ran (or all of them,
   * if fewer were asked for), timing stops when the calls together took `timingBudgetMs`.
   */
  repeats?: number;
  /** Default TIMING_BUDGET_MS (kernels/profile.ts): slow calls (a large shape, a software GPU) stop at 3. */
  timingBudgetMs?: number;
  /** Use the fused kernel where the backend has one (default true); false forces the tfjs composite. */
  fused?: boolean;
  /**
   * The code keeps the regularizer on in evaluation (`F.dropout(x, p)` without `training=self.training`, an
   * ungated `dropout_p`): evaluation then measures the training behaviour, which is what the model really does.
   */
  activeInEval?: boolean;
}

export const DEFAULT_SHAPE: readonly number[] = [8, 256, 768];

/** How one training-mode draw of a mask kernel turns x into y. Eval is `y = x * evalFactor`. */
export interface MaskPlan {
  granularity: Granularity;
  keepProb: number;
  keptScale: number;
  keptShift: number;
  droppedValue: number;
  evalFactor: number;
}

/** PyTorch's alpha dropout constant: SELU's λ·α. */
export const ALPHA_PRIME = 1.7580993408473766;

/** The mask plan of a dropout-like kernel, with PyTorch's exact constants. */
export function maskPlan(kernel: KernelSpec): MaskPlan | undefined {
  const inverted = (p: number, granularity: Granularity): MaskPlan => ({
    granularity,
    keepProb: 1 - p,
    // PyTorch multiplies by 0 at p = 1 (never by infinity).
    keptScale: p >= 1 ? 0 : 1 / (1 - p),
    keptShift: 0,
    droppedValue: 0,
    evalFactor: 1,
  });
  switch (kernel.kind) {
    case 'dropout':
      return inverted(kernel.p, 'element');
    case 'channel-dropout':
      return inverted(kernel.p, 'channel');
    case 'alpha-dropout':
    case 'feature-alpha-dropout': {
      // ATen _dropout_impl: a = 1/sqrt((α'^2 p + 1)(1 - p)); kept: a·x + α' a p; dropped: α' a (p - 1).
      const p = kernel.p;
      const a = 1 / Math.sqrt((ALPHA_PRIME * ALPHA_PRIME * p + 1) * (1 - p));
      return {
        granularity: kernel.kind === 'alpha-dropout' ? 'element' : 'channel',
        keepProb: 1 - p,
        keptScale: p >= 1 ? 0 : a,
        keptShift: p >= 1 ? 0 : ALPHA_PRIME * a * p,
        droppedValue: p >= 1 ? 0 : ALPHA_PRIME * a * (p - 1),
        evalFactor: 1,
      };
    }
    case 'drop-path': {
      const keep = 1 - kernel.p;
      return {
        granularity: kernel.mode === 'row' ? 'sample' : 'batch',
        keepProb: keep,
        keptScale: kernel.scaleByKeep && keep > 0 ? 1 / keep : 1,
        keptShift: 0,
        droppedValue: 0,
        evalFactor: 1,
      };
    }
    case 'fusion':
      return inverted(kernel.p, 'element');
    case 'semantics': {
      const s = kernel.semantics;
      return {
        granularity: s.granularity,
        keepProb: s.keepProb,
        keptScale: s.trainScale,
        keptShift: 0,
        droppedValue: 0,
        evalFactor: s.evalFactor,
      };
    }
    default:
      return undefined;
  }
}

/** The configured drop rate of a kernel (what the 99.9 % interval is checked against). */
export function configuredRate(kernel: KernelSpec): number {
  switch (kernel.kind) {
    case 'schedule':
      return kernel.rate;
    case 'semantics':
      return 1 - kernel.semantics.keepProb;
    case 'program':
      return kernel.rate;
    default:
      return kernel.p;
  }
}

/** Elements that share one draw, for a row-major tensor of `shape`. */
export function unitSize(granularity: Granularity, shape: readonly number[]): number {
  const size = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);
  switch (granularity) {
    case 'element':
      return 1;
    case 'channel':
      // (N, C, *spatial) batched; a 2-D input is one unbatched (C, L) sample.
      return shape.length >= 3 ? size(shape.slice(2)) : size(shape.slice(1));
    case 'sample':
      return size(shape.slice(1));
    case 'batch':
      return size(shape);
  }
}

/** The shape a composite draws its mask in (broadcast against x). */
export function maskShape(granularity: Granularity, shape: readonly number[]): number[] {
  switch (granularity) {
    case 'element':
      return [...shape];
    case 'channel':
      return shape.length >= 3
        ? [shape[0], shape[1], ...shape.slice(2).map(() => 1)]
        : [shape[0], ...shape.slice(1).map(() => 1)];
    case 'sample':
      return [shape[0], ...shape.slice(1).map(() => 1)];
    case 'batch':
      return shape.map(() => 1);
  }
}

/** The tensor the kernel actually runs on: attention sites run on [B, heads, T, T] scores. */
export function kernelShape(request: ProfileRequest): number[] {
  const k = request.kernel;
  if (k.kind === 'attention-dropout') {
    const [b, t] = request.shape;
    return [b ?? 1, k.numHeads, t ?? 1, t ?? 1];
  }
  if (k.kind === 'schedule') return [SCHEDULE_DRAWS, k.depth];
  return [...request.shape];
}

export const SCHEDULE_DRAWS = 8192;

/** Float32 tensors alive at once while profiling (x, uniform draw, mask, y, plus host copies of x and y). */
const LIVE_TENSORS = 6;

/** Tensors of the input's size interpreted code may hold at once (its intermediates live until the call ends). */
export const PROGRAM_LIVE_TENSORS = 16;

/** Bytes the worker needs for a request: checked against the memory budget before anything runs. */
export function bytesNeeded(request: ProfileRequest): number {
  return (
    kernelShape(request).reduce((a, b) => a * b, 1) *
    4 *
    (request.kernel.kind === 'program' ? LIVE_TENSORS + PROGRAM_LIVE_TENSORS : LIVE_TENSORS)
  );
}

/** What PyTorch does with a rate outside [0, 1] (torch 1.13), per kernel: RG008's page says the same. */
const OUT_OF_RANGE: Record<KernelSpec['kind'], string> = {
  dropout:
    'PyTorch raises a ValueError when `nn.Dropout` is constructed (`F.dropout` when called): nothing to profile.',
  'channel-dropout': 'PyTorch raises a ValueError when `nn.Dropout2d` is constructed (`F.dropout2d` when called).',
  'alpha-dropout': 'PyTorch raises a ValueError when `nn.AlphaDropout` is constructed (`F.alpha_dropout` when called).',
  'feature-alpha-dropout': 'PyTorch raises a ValueError when the layer is constructed or the function called.',
  'attention-dropout':
    'PyTorch raises a ValueError when the attention dropout runs in training (`nn.MultiheadAttention` is built ' +
    'without complaint), so there is nothing to profile.',
  'drop-path': 'the keep probability 1 − p is outside [0, 1]: `bernoulli_` raises a RuntimeError in training.',
  fusion: 'PyTorch raises a ValueError for the dropout, so there is nothing to profile.',
  schedule: 'there is no drop-path schedule to profile.',
  semantics: 'there is no keep probability to profile.',
  program: 'there is no keep probability to profile.',
};

/** A problem with a request, as a sentence, or undefined when it can run. */
export function validateRequest(request: ProfileRequest): string | undefined {
  const { shape, kernel } = request;
  if (
    !Array.isArray(shape) ||
    shape.length < 1 ||
    shape.length > 6 ||
    !shape.every((d) => Number.isInteger(d) && d > 0)
  ) {
    return `Shape ${JSON.stringify(shape)} is not a list of 1 to 6 positive integers.`;
  }
  const rate = configuredRate(kernel);
  if (!(rate >= 0 && rate <= 1)) return `Rate ${rate} is outside [0, 1]: ${OUT_OF_RANGE[kernel.kind]}`;
  if (kernel.kind === 'semantics') {
    const s = kernel.semantics;
    if (![s.trainScale, s.evalFactor].every(Number.isFinite))
      return 'The regularizer semantics have a non-finite scale.';
  }
  if (kernel.kind === 'attention-dropout' && (shape.length !== 3 || !(kernel.numHeads >= 1)))
    return `Attention sites take a [batch, tokens, channels] shape, got ${JSON.stringify(shape)}.`;
  if (kernel.kind === 'fusion' && (shape.length !== 3 || kernel.textTokens < 0 || kernel.textTokens > shape[1]))
    return `Fusion sites take a [batch, tokens, channels] shape with at most ${shape[1]} text tokens.`;
  if (kernel.kind === 'schedule' && !(Number.isInteger(kernel.depth) && kernel.depth >= 1 && kernel.depth <= 10000))
    return `Depth ${kernel.depth} is not a block count.`;
  if ((kernel.kind === 'channel-dropout' || kernel.kind === 'feature-alpha-dropout') && shape.length < 2)
    return `Channel dropout needs at least (C, L); got ${JSON.stringify(shape)}.`;
  return undefined;
}

/** A number as a person writes it: 0.1, not 0.09999999999999998 (1 - 0.9); six significant digits at most. */
export function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

/** A short name for a kernel, as lenses and the CLI print it. */
export function describeKernel(kernel: KernelSpec): string {
  switch (kernel.kind) {
    case 'drop-path':
      return `drop path p=${kernel.p} (${kernel.mode}${kernel.scaleByKeep ? '' : ', unscaled'})`;
    case 'attention-dropout':
      return `attention dropout p=${kernel.p} on ${kernel.placement === 'probs' ? 'probabilities' : 'logits'}`;
    case 'fusion':
      return `fusion dropout p=${kernel.p} (${kernel.placement})`;
    case 'schedule':
      return `stochastic depth schedule rate=${kernel.rate} depth=${kernel.depth}`;
    case 'program':
      return `${kernel.name} (its code, interpreted)`;
    case 'semantics': {
      const s = kernel.semantics;
      return (
        `hand-written ${s.granularity} keep=${formatNumber(s.keepProb)} scale=${formatNumber(s.trainScale)} ` +
        `eval×${formatNumber(s.evalFactor)}`
      );
    }
    default:
      return `${kernel.kind} p=${kernel.p}`;
  }
}
