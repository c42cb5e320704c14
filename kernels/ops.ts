/**
 * The regularizer kernels as TensorFlow.js ops. Every dropout-like kernel is a `MaskPlan` applied to x: the tfjs
 * composite (`maskComposite`: uniform draw, compare, multiply) is the reference; on backends with a fused kernel
 * registered under `FUSED_KERNEL` (WebGPU, see fused-webgpu.ts) the same plan runs in one pass.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { maskShape, unitSize, type MaskPlan } from './plan';
import { dropThreshold, seedKey } from './philox';
import { tf } from './tf';

export const FUSED_KERNEL = 'ReglensMaskScale';

/** Attributes of the fused kernel: everything the plan says, as numbers. */
export interface FusedAttrs {
  [key: string]: number;
  unitSize: number;
  threshold: number;
  key0: number;
  key1: number;
  keptScale: number;
  keptShift: number;
  droppedValue: number;
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

/** Training mode: y = kept ? x·scale + shift : droppedValue, one draw per unit. PyTorch returns x itself at p = 0. */
export function applyTrain(x: Tensor, plan: MaskPlan, seed: number, fused = true): Tensor {
  const t = tf();
  if (plan.keepProb >= 1 && plan.keptScale === 1 && plan.keptShift === 0) return t.clone(x);
  if (fused && hasFusedKernel()) {
    return t.engine().runKernel(FUSED_KERNEL, { x }, fusedAttrs(plan, x.shape, seed)) as Tensor;
  }
  return maskComposite(x, plan, seed);
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
