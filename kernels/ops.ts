/**
 * The regularizer kernels as TensorFlow.js ops. Every dropout-like kernel is a `MaskPlan` applied to x: the tfjs
 * composite (`maskComposite`: uniform draw, compare, multiply) is the reference; on backends with a fused kernel
 * registered under `FUSED_KERNEL` (fused-webgpu.ts, fused-js.ts) the same plan runs in one pass, drawing one
 * Philox number per unit.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { maskShape, unitSize, type MaskPlan } from './plan';
import { dropThreshold, seedKey } from './philox';
import { tf } from './tf';
import { type UnitDraw, unitFactors } from './units';

export const FUSED_KERNEL = 'ReglensMaskScale';

/** Attributes of the fused kernel: everything the plan says, as numbers. */
export interface FusedAttrs extends UnitDraw {
  [key: string]: number;
  unitSize: number;
}

export function fusedAttrs(plan: MaskPlan, shape: readonly number[], seed: number): FusedAttrs {
  const [key0, key1] = seedKey(seed);
  return {
    unitSize: unitSize(plan.granularity, shape),
    threshold: dropThreshold(plan.keepProb),
    key0,
    key1,
    keptScale: plan.keptScale,
    keptShift: plan.keptShift,
    droppedValue: plan.droppedValue,
  };
}

export function hasFusedKernel(): boolean {
  const t = tf();
  return t.getKernel(FUSED_KERNEL, t.getBackend()) !== undefined;
}

/**
 * Backends whose fused kernel streams coarse units itself: tfjs-cpu broadcasts by computing every element's
 * coordinates (188 ms for x · [8, 1, 1] at [8,256,768], against 2 ms for the kernel's loop). wasm (XNNPACK) and
 * webgpu broadcast a [N, 1, …] operand at memory speed, where the fused kernel would loop in JavaScript (wasm) or
 * run a Philox per element (WGSL).
 */
const STREAMS_UNITS: ReadonlySet<string> = new Set(['cpu']);

/** Training mode: y = kept ? x·scale + shift : droppedValue, one draw per unit. PyTorch returns x itself at p = 0. */
export function applyTrain(x: Tensor, plan: MaskPlan, seed: number, fused = true): Tensor {
  const t = tf();
  if (plan.keepProb >= 1 && plan.keptScale === 1 && plan.keptShift === 0) return t.clone(x);
  if (fused && hasFusedKernel()) {
    const attrs = fusedAttrs(plan, x.shape, seed);
    if (attrs.unitSize > 1 && !STREAMS_UNITS.has(t.getBackend())) return broadcastUnits(x, plan, attrs);
    return t.engine().runKernel(FUSED_KERNEL, { x }, attrs) as Tensor;
  }
  return maskComposite(x, plan, seed);
}

/**
 * Coarse units on a backend that broadcasts: the fused kernel's Philox draws, one per unit on the host, as a
 * [N, C, 1, …] / [N, 1, …] / [1, …] factor that one multiply streams over x, as timm's `x * random_tensor` does. A
 * dropped unit is x·0 (−0 for negative x, as in PyTorch); alpha dropout adds each unit's shift or saturation value.
 */
function broadcastUnits(x: Tensor, plan: MaskPlan, attrs: FusedAttrs): Tensor {
  const t = tf();
  const f = unitFactors(attrs, Math.ceil(x.size / attrs.unitSize));
  const shape = maskShape(plan.granularity, x.shape);
  return t.tidy(() => {
    const y = t.mul(x, t.tensor(f.scale, shape, 'float32'));
    return f.shift ? t.add(y, t.tensor(f.shift, shape, 'float32')) : y;
  });
}

/** Evaluation mode: identity for every PyTorch regularizer; a hand-written one may scale. */
export function applyEval(x: Tensor, plan: MaskPlan): Tensor {
  const t = tf();
  return plan.evalFactor === 1 ? t.clone(x) : t.mul(x, plan.evalFactor);
}

/** The tfjs composite: the reference every fused kernel is tested against. */
export function maskComposite(x: Tensor, plan: MaskPlan, seed: number): Tensor {
  const t = tf();
  return t.tidy(() => {
    const u = t.randomUniform(maskShape(plan.granularity, x.shape), 0, 1, 'float32', seed);
    const keep = t.cast(t.greaterEqual(u, 1 - plan.keepProb), 'float32');
    let y = t.mul(x, t.mul(keep, plan.keptScale));
    if (plan.keptShift !== 0 || plan.droppedValue !== 0) {
      y = t.add(y, t.add(t.mul(keep, plan.keptShift), t.mul(t.sub(1, keep), plan.droppedValue)));
    }
    return y;
  });
}

/** Attention: dropout on softmax probabilities, or on the logits before softmax (which zeroes no probability). */
export function attentionTrain(
  scores: Tensor,
  plan: MaskPlan,
  placement: 'probs' | 'logits',
  seed: number,
  fused = true,
): Tensor {
  const t = tf();
  return t.tidy(() => {
    if (placement === 'probs') return applyTrain(t.softmax(scores), plan, seed, fused);
    return t.softmax(applyTrain(scores, plan, seed, fused));
  });
}

/** Fusion: [B, text + image, C]; dropout on the merged sequence or on one modality before the merge. */
export function fusionTrain(
  x: Tensor,
  plan: MaskPlan,
  textTokens: number,
  placement: 'after-merge' | 'text-before-merge' | 'image-before-merge',
  seed: number,
  fused = true,
): Tensor {
  const t = tf();
  return t.tidy(() => {
    if (placement === 'after-merge') return applyTrain(x, plan, seed, fused);
    const [b, n, c] = x.shape;
    const text = t.slice(x, [0, 0, 0], [b, textTokens, c]);
    const image = t.slice(x, [0, textTokens, 0], [b, n - textTokens, c]);
    return placement === 'text-before-merge'
      ? t.concat([applyTrain(text, plan, seed, fused), image], 1)
      : t.concat([text, applyTrain(image, plan, seed + 1, fused)], 1);
  });
}

/** `torch.linspace(0, rate, depth)`: the drop-path rate of each block. */
export function scheduleRates(rate: number, depth: number): number[] {
  if (depth === 1) return [0];
  return Array.from({ length: depth }, (_, i) => (rate * i) / (depth - 1));
}

/** Samples which blocks are active in `draws` forward passes: [draws, depth] of 0/1. */
export function sampleSchedule(rate: number, depth: number, draws: number, seed: number): Tensor {
  const t = tf();
  return t.tidy(() => {
    const u = t.randomUniform([draws, depth], 0, 1, 'float32', seed);
    return t.cast(t.greaterEqual(u, t.tensor1d(scheduleRates(rate, depth))), 'float32');
  });
}
