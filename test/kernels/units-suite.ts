/**
 * Coarse mask units (channel, sample, batch) on one backend, run from kernelSuite (suite.ts): every unit is kept or
 * dropped whole, by the Philox draw of its unit index (a kernel that drew per element, or indexed draws by element,
 * drops partial units or other units), its kept values are exactly x·scale (+ shift) in f32, and no tensor of x's
 * size other than y is made: the mask is one value per unit, broadcast or streamed.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { Tensor } from '@tensorflow/tfjs-core';
import type { ActiveBackend } from '../../kernels/backends';
import { applyTrain } from '../../kernels/ops';
import { keepUnit } from '../../kernels/philox';
import { maskPlan, unitSize, type KernelSpec, type MaskPlan } from '../../kernels/plan';
import { tf } from '../../kernels/tf';

type It = (title: string, fn: (t: TestContext, b: ActiveBackend) => Promise<void>) => void;

const f32 = Math.fround;

/** The value a kept or dropped element must have, exactly: f32 arithmetic, as every path computes it. */
function expected(x: number, plan: MaskPlan, kept: boolean): number {
  if (!kept) return f32(plan.droppedValue);
  const scaled = f32(x * f32(plan.keptScale));
  return plan.keptShift === 0 ? scaled : f32(scaled + f32(plan.keptShift));
}

async function train(x: Tensor, plan: MaskPlan, seed: number): Promise<Float32Array> {
  const y = applyTrain(x, plan, seed, true);
  const data = (await y.data()) as Float32Array;
  y.dispose();
  return data;
}

export function coarseUnitTests(it: It): void {
  const normal = (shape: number[], mean: number, seed: number) => tf().randomNormal(shape, mean, 1, 'float32', seed);
  const cases: Array<{ kernel: KernelSpec; shape: number[] }> = [
    { kernel: { kind: 'channel-dropout', p: 0.3 }, shape: [8, 32, 24] },
    // 2-D is one unbatched (C, L) sample; 4-D channels are (H, W) planes; a unit of 5 elements ends mid-vector.
    { kernel: { kind: 'channel-dropout', p: 0.4 }, shape: [48, 5] },
    { kernel: { kind: 'channel-dropout', p: 0.5 }, shape: [4, 6, 3, 5] },
    // More units than one chunk of Philox counters (CHUNK_COUNTERS · 4 = 16,384).
    { kernel: { kind: 'channel-dropout', p: 0.2 }, shape: [64, 300, 3] },
    { kernel: { kind: 'feature-alpha-dropout', p: 0.3 }, shape: [8, 16, 10] },
    { kernel: { kind: 'drop-path', p: 0.25, mode: 'row', scaleByKeep: true }, shape: [64, 7, 9] },
    { kernel: { kind: 'drop-path', p: 0.25, mode: 'row', scaleByKeep: false }, shape: [64, 7, 9] },
    {
      kernel: {
        kind: 'semantics',
        semantics: { granularity: 'sample', keepProb: 0.6, trainScale: 1.5, evalFactor: 1 },
      },
      shape: [40, 33],
    },
  ];

  it('coarse units are kept or dropped whole, by the Philox draw of the unit index, with exact values', async () => {
    for (const { kernel, shape } of cases) {
      const plan = maskPlan(kernel)!;
      const x = normal(shape, 1, 31);
      const xs = (await x.data()) as Float32Array;
      const u = unitSize(plan.granularity, shape);
      for (const seed of [7, 2 ** 33 + 5]) {
        const ys = await train(x, plan, seed);
        let kept = 0;
        for (let unit = 0; unit * u < xs.length; unit++) {
          const keep = keepUnit(unit, seed, plan.keepProb);
          if (keep) kept++;
          for (let i = unit * u; i < (unit + 1) * u; i++) {
            // === takes −0 (x·0 for a negative x, as PyTorch's x * mask gives) for the dropped value 0.
            const want = expected(xs[i], plan, keep);
            if (ys[i] !== want)
              assert.fail(
                `${kernel.kind} ${shape}: unit ${unit} (kept ${keep}), element ${i} is ${ys[i]}, not ${want}`,
              );
          }
        }
        const units = xs.length / u;
        assert.ok(kept > 0 && kept < units, `${kernel.kind} ${shape}: both outcomes among ${units} units`);
      }
      x.dispose();
    }
  });

  it('drop path (row): every sample is all zeros or exactly x/keep, at the profiler shape', async () => {
    const keep = 0.75;
    const plan = maskPlan({ kind: 'drop-path', p: 1 - keep, mode: 'row', scaleByKeep: true })!;
    const shape = [8, 256, 768];
    const size = 256 * 768;
    const x = normal(shape, 1, 32);
    const xs = (await x.data()) as Float32Array;
    const scale = f32(1 / keep);
    const outcomes = new Set<boolean>();
    for (let seed = 40; seed < 44; seed++) {
      const ys = await train(x, plan, seed);
      for (let s = 0; s < 8; s++) {
        const kept = ys[s * size] !== 0;
        outcomes.add(kept);
        for (let i = s * size; i < (s + 1) * size; i++) {
          if (kept ? ys[i] !== f32(xs[i] * scale) : ys[i] !== 0)
            assert.fail(`seed ${seed}, sample ${s} (kept ${kept}): element ${i} is ${ys[i]}, x is ${xs[i]}`);
        }
      }
    }
    x.dispose();
    assert.deepEqual([...outcomes].sort(), [false, true], 'samples both kept and dropped over 32 draws');
  });

  it('drop path (batch): the whole tensor is zeros or exactly x/keep, one draw per call', async () => {
    const keep = 0.5;
    const plan = maskPlan({ kind: 'drop-path', p: 1 - keep, mode: 'batch', scaleByKeep: true })!;
    const x = normal([8, 64, 96], 1, 33);
    const xs = (await x.data()) as Float32Array;
    let dropped = 0;
    const draws = 40;
    for (let d = 0; d < draws; d++) {
      const ys = await train(x, plan, 500 + d);
      const kept = keepUnit(0, 500 + d, keep);
      for (let i = 0; i < xs.length; i++) {
        if (kept ? ys[i] !== f32(xs[i] * 2) : ys[i] !== 0) assert.fail(`draw ${d} (kept ${kept}): element ${i}`);
      }
      if (!kept) dropped++;
    }
    x.dispose();
    assert.ok(dropped > 0 && dropped < draws, `${dropped} of ${draws} batches dropped`);
  });

  it('a coarse mask is one value per unit: no tensor of x’s size is made but y', async () => {
    for (const kernel of [
      { kind: 'channel-dropout', p: 0.3 },
      { kind: 'drop-path', p: 0.3, mode: 'row', scaleByKeep: true },
      { kind: 'drop-path', p: 0.3, mode: 'batch', scaleByKeep: true },
      { kind: 'feature-alpha-dropout', p: 0.3 },
    ] as KernelSpec[]) {
      const plan = maskPlan(kernel)!;
      const x = normal([8, 64, 96], 1, 34);
      const xBytes = x.size * 4;
      const before = tf().memory().numBytes;
      const info = await tf().profile(() => applyTrain(x, plan, 9, true));
      (info.result as Tensor).dispose();
      x.dispose();
      // Alpha dropout's shift is a second broadcast op: its product is the one other x-sized tensor allowed.
      const allowed = (plan.keptShift !== 0 || plan.droppedValue !== 0 ? 2 : 1) * xBytes + 64 * 1024;
      assert.ok(
        info.peakBytes - before <= allowed,
        `${kernel.kind}: peak ${info.peakBytes - before} bytes over x, at most ${allowed}`,
      );
    }
  });
}
