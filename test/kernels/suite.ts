/**
 * The kernel test suite, run once per backend (one test file per backend: tfjs's active backend is per process).
 *
 * Every statistical bound is derived from the sample size: a binomial count k of n independent units lies within
 * n·p ± Z·sqrt(n·p·(1 − p)), and a mean of n independent values within Z·sd/sqrt(n) (CLT). Z = 5 puts the chance
 * of a false failure below 6e-7 per check. Seeds are fixed, so a run is reproducible either way.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Tensor } from '@tensorflow/tfjs-core';
import { selectBackend, type ActiveBackend, type BackendName } from '../../kernels/backends';
import {
  applyEval,
  applyTrain,
  attentionTrain,
  fusionTrain,
  maskComposite,
  sampleSchedule,
  scheduleRates,
} from '../../kernels/ops';
import { keepUnit } from '../../kernels/philox';
import { ALPHA_PRIME, maskPlan, unitSize, type KernelSpec, type ProfileRequest } from '../../kernels/plan';
import { profileKernel } from '../../kernels/profile';
import { tf } from '../../kernels/tf';
import { coarseUnitTests } from './units-suite';

export const Z = 5;

export function binomialBound(p: number, n: number): number {
  return Z * Math.sqrt((p * (1 - p)) / n);
}

function meanSd(values: ArrayLike<number>): { mean: number; sd: number; n: number } {
  let s = 0,
    s2 = 0;
  for (let i = 0; i < values.length; i++) {
    s += values[i];
    s2 += values[i] * values[i];
  }
  const n = values.length;
  const mean = s / n;
  return { mean, sd: Math.sqrt(Math.max(0, s2 / n - mean * mean)), n };
}

async function data(t: Tensor): Promise<Float32Array> {
  const d = (await t.data()) as Float32Array;
  t.dispose();
  return d;
}

/** Activates `name`, or returns why it cannot run here. */
export async function activate(name: BackendName): Promise<{ backend?: ActiveBackend; reason?: string }> {
  const selection = await selectBackend(name);
  if (selection.active.name !== name) return { reason: selection.fallback ?? `${name} is not available` };
  return { backend: selection.active };
}

export function kernelSuite(name: BackendName): void {
  let backend: ActiveBackend | undefined;
  let reason: string | undefined;
  const ready = activate(name).then((r) => {
    backend = r.backend;
    reason = r.reason;
  });
  const it = (title: string, fn: (t: TestContext, b: ActiveBackend) => Promise<void>) =>
    test(`${name}: ${title}`, async (t) => {
      await ready;
      if (!backend) {
        t.skip(`${name} backend unavailable: ${reason}`);
        return;
      }
      await fn(t, backend);
    });
  const normal = (shape: number[], mean: number, seed: number) => tf().randomNormal(shape, mean, 1, 'float32', seed);
  const profile = (b: ActiveBackend, request: ProfileRequest) =>
    profileKernel(request, { backend: b.name, device: b.device, isCancelled: () => false, sync: b.sync });

  for (const fused of [true, false]) {
    const label = fused ? 'fused' : 'composite';
    it(`${label} dropout zeroes p of the values, scales the rest by 1/(1-p), and is unbiased`, async () => {
      const p = 0.3;
      const x = normal([16, 64, 128], 1, 7);
      const xs = await x.data();
      const ys = await data(applyTrain(x, maskPlan({ kind: 'dropout', p })!, 11, fused));
      x.dispose();
      let zeros = 0;
      const diff = new Float32Array(xs.length);
      for (let i = 0; i < xs.length; i++) {
        if (ys[i] === 0) zeros++;
        else
          assert.ok(
            Math.abs(ys[i] - xs[i] / (1 - p)) <= 1e-6 * Math.abs(xs[i] / (1 - p)) + 1e-7,
            `kept value ${i} is x/(1-p)`,
          );
        diff[i] = ys[i] - xs[i];
      }
      const n = xs.length;
      assert.ok(
        Math.abs(zeros / n - p) <= binomialBound(p, n),
        `fraction zeroed ${zeros / n} vs ${p} ± ${binomialBound(p, n)}`,
      );
      const d = meanSd(diff);
      assert.ok(
        Math.abs(d.mean) <= (Z * d.sd) / Math.sqrt(n),
        `E[y - x] = ${d.mean} is 0 within ${(Z * d.sd) / Math.sqrt(n)}`,
      );
    });

    it(`${label} channel dropout drops whole channels at rate p`, async () => {
      const p = 0.5;
      const shape = [16, 64, 128];
      const x = normal(shape, 1, 8);
      const xs = await x.data();
      const ys = await data(applyTrain(x, maskPlan({ kind: 'channel-dropout', p })!, 12, fused));
      x.dispose();
      let dropped = 0;
      const L = 128;
      for (let c = 0; c < 16 * 64; c++) {
        const zero = ys[c * L] === 0;
        for (let i = c * L; i < (c + 1) * L; i++) {
          // -0 for negative x, as in PyTorch's x * mask.
          if (zero) assert.ok(ys[i] === 0, `channel ${c} is dropped whole`);
          else assert.ok(Math.abs(ys[i] - xs[i] * 2) <= 1e-6 * Math.abs(xs[i] * 2) + 1e-7);
        }
        if (zero) dropped++;
      }
      const n = 16 * 64;
      assert.ok(Math.abs(dropped / n - p) <= binomialBound(p, n), `channels dropped ${dropped / n}`);
    });

    it(`${label} alpha dropout keeps a standardized input at mean 0 and variance 1`, async () => {
      const p = 0.2;
      const x = normal([16, 64, 128], 0, 9);
      const ys = await data(applyTrain(x, maskPlan({ kind: 'alpha-dropout', p })!, 13, fused));
      x.dispose();
      const a = 1 / Math.sqrt((ALPHA_PRIME ** 2 * p + 1) * (1 - p));
      const droppedValue = Math.fround(ALPHA_PRIME * a * (p - 1));
      let dropped = 0;
      for (const v of ys) if (v === droppedValue) dropped++;
      const n = ys.length;
      assert.ok(Math.abs(dropped / n - p) <= binomialBound(p, n), `fraction saturated ${dropped / n}`);
      const m = meanSd(ys);
      assert.ok(Math.abs(m.mean) <= (Z * m.sd) / Math.sqrt(n), `E[y] = ${m.mean}`);
      const squares = meanSd(Array.from(ys, (v) => v * v));
      assert.ok(Math.abs(squares.mean - 1) <= (Z * squares.sd) / Math.sqrt(n), `E[y²] = ${squares.mean}`);
    });

    it(`${label} feature alpha dropout saturates whole channels`, async () => {
      const p = 0.5;
      const x = normal([16, 64, 32], 0, 10);
      const ys = await data(applyTrain(x, maskPlan({ kind: 'feature-alpha-dropout', p })!, 14, fused));
      x.dispose();
      const plan = maskPlan({ kind: 'feature-alpha-dropout', p })!;
      const droppedValue = Math.fround(plan.droppedValue);
      let dropped = 0;
      for (let c = 0; c < 16 * 64; c++) {
        const channel = ys.subarray(c * 32, (c + 1) * 32);
        const all = channel.every((v) => v === droppedValue);
        assert.ok(all || channel.every((v) => v !== droppedValue), `channel ${c} is saturated whole or not at all`);
        if (all) dropped++;
      }
      assert.ok(Math.abs(dropped / 1024 - p) <= binomialBound(p, 1024));
    });

    it(`${label} drop path (row) drops whole samples; without scale_by_keep kept samples are unchanged`, async () => {
      const p = 0.25;
      const shape = [64, 16, 32];
      const x = normal(shape, 1, 15);
      const xs = await x.data();
      let dropped = 0;
      const draws = 20;
      for (let d = 0; d < draws; d++) {
        const ys = await data(
          applyTrain(x, maskPlan({ kind: 'drop-path', p, mode: 'row', scaleByKeep: false })!, 100 + d, fused),
        );
        for (let s = 0; s < 64; s++) {
          const off = s * 512;
          const zero = ys[off] === 0;
          for (let i = off; i < off + 512; i++)
            assert.ok(zero ? ys[i] === 0 : ys[i] === xs[i], `sample ${s} element ${i}`);
          if (zero) dropped++;
        }
      }
      x.dispose();
      const n = 64 * draws;
      assert.ok(Math.abs(dropped / n - p) <= binomialBound(p, n), `samples dropped ${dropped / n}`);
    });

    it(`${label} drop path (batch) drops the whole batch at once, scaled by 1/keep`, async () => {
      const p = 0.4;
      const x = normal([4, 8], 1, 16);
      const xs = await x.data();
      let dropped = 0;
      const draws = 400;
      for (let d = 0; d < draws; d++) {
        const ys = await data(
          applyTrain(x, maskPlan({ kind: 'drop-path', p, mode: 'batch', scaleByKeep: true })!, 1000 + d, fused),
        );
        if (ys.every((v) => v === 0)) dropped++;
        else for (const [i, v] of ys.entries()) assert.ok(Math.abs(v - xs[i] / (1 - p)) <= 1e-6 * Math.abs(v) + 1e-7);
      }
      x.dispose();
      assert.ok(Math.abs(dropped / draws - p) <= binomialBound(p, draws), `batches dropped ${dropped / draws}`);
    });
  }

  it('the fused kernel draws exactly the Philox mask of the JavaScript reference', async () => {
    for (const kernel of [
      { kind: 'dropout', p: 0.37 },
      { kind: 'channel-dropout', p: 0.5 },
      { kind: 'drop-path', p: 0.3, mode: 'row', scaleByKeep: true },
    ] as KernelSpec[]) {
      const plan = maskPlan(kernel)!;
      const shape = [8, 32, 64];
      const x = normal(shape, 1, 17);
      const xs = await x.data();
      const ys = await data(applyTrain(x, plan, 4242, true));
      x.dispose();
      const u = unitSize(plan.granularity, shape);
      for (let i = 0; i < xs.length; i++) {
        const keep = keepUnit(Math.floor(i / u), 4242, plan.keepProb);
        assert.equal(ys[i] !== 0, keep, `${kernel.kind}: element ${i} kept=${keep}`);
      }
    }
  });

  it('fused and composite agree in distribution (two-sample binomial bound)', async () => {
    const p = 0.15;
    const x = normal([16, 64, 128], 1, 18);
    const plan = maskPlan({ kind: 'dropout', p })!;
    const fusedY = await data(applyTrain(x, plan, 5, true));
    const compositeY = await data(maskComposite(x, plan, 5));
    x.dispose();
    const n = fusedY.length;
    const f = fusedY.filter((v) => v === 0).length / n;
    const c = compositeY.filter((v) => v === 0).length / n;
    assert.ok(Math.abs(f - c) <= Z * Math.sqrt((2 * p * (1 - p)) / n), `fused ${f} vs composite ${c}`);
  });

  it('evaluation is the exact identity for every PyTorch regularizer', async () => {
    const x = normal([4, 16, 32], 1, 19);
    const xs = await x.data();
    for (const kernel of [
      { kind: 'dropout', p: 0.5 },
      { kind: 'channel-dropout', p: 0.5 },
      { kind: 'alpha-dropout', p: 0.5 },
      { kind: 'feature-alpha-dropout', p: 0.5 },
      { kind: 'drop-path', p: 0.5, mode: 'row', scaleByKeep: true },
      { kind: 'drop-path', p: 0.5, mode: 'batch', scaleByKeep: true },
    ] as KernelSpec[]) {
      const ys = await data(applyEval(x, maskPlan(kernel)!));
      assert.deepEqual(ys, xs, `${kernel.kind} in eval`);
    }
    x.dispose();
  });

  it('attention dropout on probabilities drops p of them; on logits it drops none', async () => {
    const p = 0.2;
    const scores = normal([2, 4, 64, 64], 0, 20);
    const plan = maskPlan({ kind: 'dropout', p })!;
    const probs = await data(attentionTrain(scores, plan, 'probs', 21));
    const logits = await data(attentionTrain(scores, plan, 'logits', 21));
    scores.dispose();
    const n = probs.length;
    const zeroedProbs = probs.filter((v) => v === 0).length;
    assert.ok(Math.abs(zeroedProbs / n - p) <= binomialBound(p, n));
    assert.equal(logits.filter((v) => v === 0).length, 0, 'softmax of dropped logits has no zero probability');
  });

  it('fusion: dropout before the merge covers one modality only; after it covers both', async () => {
    const p = 0.25;
    const [b, text, image, c] = [4, 32, 96, 64];
    const x = normal([b, text + image, c], 1, 22);
    const plan = maskPlan({ kind: 'fusion', p, textTokens: text, placement: 'after-merge' })!;
    const coverage = (ys: Float32Array, from: number, to: number) => {
      let z = 0,
        n = 0;
      for (let s = 0; s < b; s++)
        for (let tok = from; tok < to; tok++)
          for (let k = 0; k < c; k++, n++) if (ys[(s * (text + image) + tok) * c + k] === 0) z++;
      return { fraction: z / n, n };
    };
    const before = await data(fusionTrain(x, plan, text, 'text-before-merge', 23));
    const after = await data(fusionTrain(x, plan, text, 'after-merge', 23));
    x.dispose();
    const tb = coverage(before, 0, text),
      ib = coverage(before, text, text + image);
    assert.ok(Math.abs(tb.fraction - p) <= binomialBound(p, tb.n), `text before merge ${tb.fraction}`);
    assert.equal(ib.fraction, 0, 'image tokens are not regularized by a text-only dropout');
    const ta = coverage(after, 0, text),
      ia = coverage(after, text, text + image);
    assert.ok(Math.abs(ta.fraction - p) <= binomialBound(p, ta.n));
    assert.ok(Math.abs(ia.fraction - p) <= binomialBound(p, ia.n));
  });

  it('stochastic depth: sampled survival per block and active blocks match the closed form', async () => {
    const rate = 0.3,
      depth = 12,
      draws = 8192;
    const rates = scheduleRates(rate, depth);
    assert.deepEqual(
      rates.map((r) => +r.toFixed(10)),
      Array.from({ length: depth }, (_, i) => +((rate * i) / 11).toFixed(10)),
    );
    const m = await data(sampleSchedule(rate, depth, draws, 24));
    let activeSum = 0,
      active2 = 0;
    for (let d = 0; d < draws; d++) {
      let a = 0;
      for (let k = 0; k < depth; k++) a += m[d * depth + k];
      activeSum += a;
      active2 += a * a;
    }
    for (let k = 0; k < depth; k++) {
      let kept = 0;
      for (let d = 0; d < draws; d++) kept += m[d * depth + k];
      const s = 1 - rates[k];
      assert.ok(
        Math.abs(kept / draws - s) <= binomialBound(s, draws) + 1e-12,
        `block ${k} survival ${kept / draws} vs ${s}`,
      );
    }
    const closed = depth * (1 - rate / 2);
    const variance = rates.reduce((a, r) => a + r * (1 - r), 0);
    assert.ok(
      Math.abs(activeSum / draws - closed) <= Z * Math.sqrt(variance / draws),
      `E[active] ${activeSum / draws} vs ${closed}`,
    );
    void active2;
  });

  it('a hand-written regularizer: per-sample keep 0.8, no train scale, eval × 0.8', async (_t, b) => {
    const kernel: KernelSpec = {
      kind: 'semantics',
      semantics: { granularity: 'sample', keepProb: 0.8, trainScale: 1, evalFactor: 0.8 },
    };
    const r = await profile(b, { kernel, shape: [64, 8, 16], seed: 25, repeats: 1 });
    assert.equal(r.eval.identity, false);
    assert.ok(r.eval.maxAbsDiff > 0);
    assert.ok(Math.abs(r.eval.meanRatio - 0.8) < 1e-5, `eval mean ×${r.eval.meanRatio}`);
    // Samples dropped whole: over all draws, units are samples.
    const n = r.train.units;
    assert.ok(Math.abs(r.train.samplesDroppedWhole - 0.2) <= binomialBound(0.2, n));
    assert.ok(r.train.rateInside, `0.2 inside ${r.train.interval}`);
  });

  it('profileKernel reports the 99.9 % interval, eval identity, timing and the backend', async (_t, b) => {
    const r = await profile(b, { kernel: { kind: 'dropout', p: 0.1 }, shape: [8, 64, 96], seed: 26, repeats: 3 });
    assert.ok(r.train.interval[0] < 0.1 && 0.1 < r.train.interval[1] && r.train.rateInside);
    assert.ok(r.train.interval[1] - r.train.interval[0] < 0.01, 'an interval from 49k elements is narrow');
    assert.equal(r.eval.identity, true);
    assert.equal(r.eval.maxAbsDiff, 0);
    assert.equal(r.eval.droppedFraction, 0);
    assert.equal(r.backend, b.name);
    assert.ok(r.timing.medianMs > 0 && r.timing.gbPerSecond > 0);
    const again = await profile(b, { kernel: { kind: 'dropout', p: 0.1 }, shape: [8, 64, 96], seed: 26, repeats: 3 });
    assert.equal(again.train.droppedFraction, r.train.droppedFraction, 'same seed, same figures');
  });

  it(
    'a seed gives the same figures whatever the repeats and the time budget; the result says how many calls were ' +
      'timed',
    async (_t, b) => {
      // drop path (row) at this shape takes 16 statistics draws, so timed calls double as draws; dropout takes one.
      for (const kernel of [
        { kind: 'dropout', p: 0.1 },
        { kind: 'drop-path', p: 0.3, mode: 'row', scaleByKeep: true },
      ] as KernelSpec[]) {
        const request: ProfileRequest = { kernel, shape: [16, 32, 48], seed: 28 };
        const one = await profile(b, { ...request, repeats: 1 });
        const cut = await profile(b, { ...request, repeats: 6, timingBudgetMs: 0 });
        const all = await profile(b, { ...request, repeats: 6, timingBudgetMs: 1e9 });
        assert.deepEqual([one.timing.repeats, one.timing.plannedRepeats], [1, 1]);
        assert.deepEqual([cut.timing.repeats, cut.timing.plannedRepeats], [3, 6], 'a spent budget still times 3 calls');
        assert.deepEqual([all.timing.repeats, all.timing.plannedRepeats], [6, 6]);
        for (const r of [cut, all]) {
          assert.deepEqual(r.train, one.train, `${kernel.kind}: train figures`);
          assert.deepEqual(r.eval, one.eval, `${kernel.kind}: eval figures`);
        }
        assert.ok(
          one.train.units >= (kernel.kind === 'drop-path' ? 16 * 16 : 16 * 32 * 48),
          `${kernel.kind}: every draw counted`,
        );
      }
    },
  );

  it('a configured rate far from the measured one falls outside the interval', async (_t, b) => {
    // A hand-written regularizer that claims keep 0.9 but is profiled as keep 0.5 would be caught: check the
    // interval logic on a real run where rate = 0.5 and the interval must exclude 0.1.
    const r = await profile(b, { kernel: { kind: 'dropout', p: 0.5 }, shape: [8, 64, 96], seed: 27, repeats: 1 });
    assert.ok(!(r.train.interval[0] <= 0.1 && 0.1 <= r.train.interval[1]));
  });

  coarseUnitTests(it);
}
