// The profiler's statistics pass and its time budget, on plain arrays: PairStats.add (one pass over every element
// of every draw) against a direct element-by-element definition, and timedCalls' adaptive repeat count.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { textBlock } from '../../kernels/format';
import { timedCalls, TIMING_BUDGET_MS } from '../../kernels/measurement';
import type { ProfileResult } from '../../kernels/profile-result';
import { PairStats, ZEROED, type DropRule } from '../../kernels/stats';

/** What PairStats.add must compute, written the obvious way. */
function reference(draws: Array<[Float32Array, Float32Array]>, unit: number, sampleSize: number, rule: DropRule) {
  const isDropped = (a: number, b: number) => b === rule.y && a !== rule.unlessX;
  const r = {
    n: 0,
    sumX: 0,
    sumY: 0,
    sumX2: 0,
    sumY2: 0,
    maxAbsDiff: 0,
    dropped: 0,
    units: 0,
    droppedUnits: 0,
    samples: 0,
    samplesDroppedWhole: 0,
  };
  const allDropped = (x: Float32Array, y: Float32Array, from: number, to: number) => {
    for (let i = from; i < to; i++) if (!isDropped(x[i], y[i])) return false;
    return true;
  };
  for (const [x, y] of draws) {
    // Each draw's sums first, then the running totals: the order PairStats documents.
    let sx = 0,
      sy = 0,
      sx2 = 0,
      sy2 = 0;
    for (let i = 0; i < x.length; i++) {
      sx += x[i];
      sy += y[i];
      sx2 += x[i] * x[i];
      sy2 += y[i] * y[i];
    }
    r.sumX += sx;
    r.sumY += sy;
    r.sumX2 += sx2;
    r.sumY2 += sy2;
    for (let i = 0; i < x.length; i++) {
      r.n++;
      r.maxAbsDiff = Math.max(r.maxAbsDiff, Math.abs(y[i] - x[i]));
      if (isDropped(x[i], y[i])) r.dropped++;
    }
    for (let s = 0; s < x.length; s += unit) {
      r.units++;
      if (allDropped(x, y, s, Math.min(x.length, s + unit))) r.droppedUnits++;
    }
    for (let s = 0; s < x.length; s += sampleSize) {
      r.samples++;
      if (allDropped(x, y, s, Math.min(x.length, s + sampleSize))) r.samplesDroppedWhole++;
    }
  }
  return r;
}

/** A draw with units dropped whole at rate ~p (seeded), x values that are sometimes exactly 0. */
function draw(n: number, unit: number, seed: number, droppedValue: number): [Float32Array, Float32Array] {
  let s = seed;
  const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const x = Float32Array.from({ length: n }, () => (rand() < 0.05 ? 0 : rand() * 4 - 1));
  const y = new Float32Array(n);
  for (let start = 0; start < n; start += unit) {
    const drop = rand() < 0.4;
    for (let i = start; i < Math.min(n, start + unit); i++) y[i] = drop ? droppedValue : x[i] * 1.25;
  }
  return [x, y];
}

test('PairStats.add counts elements, units and samples as the element-by-element definition does', () => {
  const cases: Array<{ n: number; unit: number; sampleSize: number; rule: DropRule; droppedValue: number }> = [
    { n: 4096, unit: 1, sampleSize: 512, rule: ZEROED, droppedValue: 0 },
    { n: 4096, unit: 64, sampleSize: 512, rule: ZEROED, droppedValue: 0 },
    // Units and samples that do not divide the length or each other.
    { n: 1000, unit: 7, sampleSize: 90, rule: ZEROED, droppedValue: 0 },
    { n: 1000, unit: 300, sampleSize: 64, rule: ZEROED, droppedValue: 0 },
    { n: 512, unit: 512, sampleSize: 128, rule: ZEROED, droppedValue: 0 },
    // Alpha dropout: the saturation value, whatever x was; and a rule that drops nothing.
    {
      n: 2048,
      unit: 16,
      sampleSize: 256,
      rule: { y: Math.fround(-1.7581), unlessX: NaN },
      droppedValue: Math.fround(-1.7581),
    },
    { n: 2048, unit: 16, sampleSize: 256, rule: { y: NaN, unlessX: NaN }, droppedValue: Math.fround(-1.7581) },
  ];
  for (const [k, c] of cases.entries()) {
    const draws = [draw(c.n, c.unit, 10 + k, c.droppedValue), draw(c.n, c.unit, 20 + k, c.droppedValue)];
    const stats = new PairStats();
    for (const [x, y] of draws) stats.add(x, y, c.unit, c.sampleSize, c.rule);
    const want = reference(draws, c.unit, c.sampleSize, c.rule);
    const got = {
      n: stats.n,
      sumX: stats.sumX,
      sumY: stats.sumY,
      sumX2: stats.sumX2,
      sumY2: stats.sumY2,
      maxAbsDiff: stats.maxAbsDiff,
      dropped: stats.dropped,
      units: stats.units,
      droppedUnits: stats.droppedUnits,
      samples: stats.samples,
      samplesDroppedWhole: stats.samplesDroppedWhole,
    };
    // The sums run in element order, so they are equal exactly, not just closely.
    assert.deepEqual(got, want, `case ${k}: ${JSON.stringify(c)}`);
    if (Number.isNaN(c.rule.y)) assert.equal(got.dropped, 0, 'NaN drops nothing');
    else assert.ok(got.dropped > 0 && got.dropped < got.n, `case ${k} has dropped and kept values`);
    // Large units with an x of exactly 0 in them are never dropped whole (a zero x is not a dropped value).
    if (c.unit <= 64 && !Number.isNaN(c.rule.y))
      assert.ok(got.droppedUnits > 0 && got.droppedUnits < got.units, `case ${k} has dropped and kept units`);
  }
});

test('a zero x that stays zero is not counted as dropped', () => {
  const x = Float32Array.from([0, 0, 1, 2]);
  const y = Float32Array.from([0, 0, 0, 2]);
  const stats = new PairStats();
  stats.add(x, y, 2, 4, ZEROED);
  assert.equal(stats.dropped, 1);
  assert.equal(stats.droppedUnits, 0, 'the unit of two zeros had nothing to drop');
});

const ctx = { backend: 'test', device: 'test', isCancelled: () => false, sync: async () => undefined };

/** timedCalls with calls that report the given times (the times are data: nothing here is timed). */
async function repeatsFor(planned: number, budgetMs: number, callMs: number[]): Promise<number> {
  const ran = await timedCalls(planned, budgetMs, ctx, async (i) => callMs[Math.min(i, callMs.length - 1)]);
  return ran.length;
}

test('timed calls stop at the time budget, never below a median of 3 nor above the repeats asked for', async () => {
  assert.equal(TIMING_BUDGET_MS, 100);
  assert.equal(await repeatsFor(5, 100, [10]), 5, 'fast calls: all 5 run');
  assert.equal(await repeatsFor(5, 100, [60]), 3, 'slow calls: 3, the least a median is taken of');
  assert.equal(await repeatsFor(5, 100, [30]), 4, '30 + 30 + 30 < 100, so a 4th call runs; then the budget is spent');
  assert.equal(
    await repeatsFor(9, 100, [500, 1, 1, 1]),
    3,
    'the budget counts every timed call, the slow first one too',
  );
  assert.equal(await repeatsFor(2, 100, [500]), 2, 'fewer than 3 asked for: all of them, however slow');
  assert.equal(await repeatsFor(1, 0, [5]), 1);
  assert.equal(await repeatsFor(400, 100, [0.01]), 400, 'the budget is time, not a cap on the count');
});

test('timedCalls passes each call its index and checks for cancellation between calls', async () => {
  const seen: number[] = [];
  await timedCalls(4, 1e9, ctx, async (i) => {
    seen.push(i);
    return 1;
  });
  assert.deepEqual(seen, [0, 1, 2, 3]);
  let calls = 0;
  const cancelling = { ...ctx, isCancelled: () => calls >= 2 };
  await assert.rejects(
    timedCalls(5, 1e9, cancelling, async () => {
      calls++;
      return 1;
    }),
    /cancelled/,
  );
  assert.equal(calls, 2);
});

test('the CLI block says when the time budget cut the timed calls short', () => {
  const base = {
    kernel: { kind: 'dropout', p: 0.1 },
    description: 'dropout p=0.1',
    rate: 0.1,
    shape: [8, 256, 768],
    seed: 1,
    backend: 'webgpu',
    device: 'llvmpipe',
    fused: true,
  } as const;
  const mode = {
    droppedFraction: 0.1,
    interval: [0.09, 0.11],
    units: 1000,
    rateInside: true,
    meanX: 1,
    meanY: 1,
    meanRatio: 1,
    varRatio: 1.1,
    samplesDroppedWhole: 0,
    maxAbsDiff: 1,
    identity: false,
    ratioHistogram: new Array(40).fill(0),
  } as ProfileResult['train'];
  const result = (repeats: number, plannedRepeats: number): ProfileResult => ({
    ...base,
    kernel: { ...base.kernel },
    shape: [...base.shape],
    train: mode,
    eval: { ...mode, identity: true },
    timing: { noop: false, medianMs: 50, repeats, plannedRepeats, bytesPerCall: 8, gbPerSecond: 1 },
  });
  assert.match(textBlock(result(3, 5)), /median of 3 of 5 planned: the time budget ran out/);
  assert.match(textBlock(result(5, 5)), /median of 5\)/);
  assert.doesNotMatch(textBlock(result(5, 5)), /budget/);
});
