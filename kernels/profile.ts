/**
 * `profileKernel`: runs one request on the active backend and measures what the regularizer does in training and
 * in evaluation. Deterministic: every draw's seed derives from `request.seed`.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import {
  checkpoint,
  inputData,
  inputTensor,
  measurement,
  histogram,
  timedCalls,
  timedDraws,
  timing,
  TIMING_BUDGET_MS,
  type RunContext,
} from './measurement';
import {
  applyEval,
  applyTrain,
  attentionTrain,
  fusionTrain,
  hasFusedKernel,
  sampleSchedule,
  scheduleRates,
} from './ops';
import {
  configuredRate,
  describeKernel,
  kernelShape,
  maskPlan,
  SCHEDULE_DRAWS,
  unitSize,
  type MaskPlan,
  type ProfileRequest,
} from './plan';
import { profileProgram } from './profile-program';
import {
  RATIO_BINS,
  type FusionMeasurement,
  type ModalityCoverage,
  type ModeMeasurement,
  type ProfileResult,
} from './profile-result';
import { PairStats, wilsonInterval, ZEROED, Z999, type DropRule } from './stats';
import { tf } from './tf';

export async function profileKernel(request: ProfileRequest, ctx: RunContext): Promise<ProfileResult> {
  const t = tf();
  const kernel = request.kernel;
  const fused = request.fused !== false;
  const shape = kernelShape(request);
  const base = {
    kernel,
    description: describeKernel(kernel),
    rate: configuredRate(kernel),
    shape,
    seed: request.seed,
    backend: ctx.backend,
    device: ctx.device,
  };
  if (kernel.kind === 'program') return profileProgram(request, ctx);
  if (kernel.kind === 'schedule')
    return { ...base, fused: false, ...(await profileSchedule(kernel.rate, kernel.depth, request, ctx)) };

  const plan = (
    kernel.kind === 'attention-dropout' ? maskPlan({ kind: 'dropout', p: kernel.p }) : maskPlan(kernel)
  ) as MaskPlan;
  const alpha = kernel.kind === 'alpha-dropout' || kernel.kind === 'feature-alpha-dropout';
  // Activations around 1 make E[y]/E[x] meaningful; alpha dropout is defined for standardized (SELU) inputs.
  const raw = inputTensor(shape, alpha ? 0 : 1);
  const x = kernel.kind === 'attention-dropout' ? t.tidy(() => t.softmax(raw)) : raw;
  const train = (seed: number): Tensor => {
    switch (kernel.kind) {
      case 'attention-dropout':
        return attentionTrain(raw, plan, kernel.placement, seed, fused);
      case 'fusion':
        return fusionTrain(x, plan, kernel.textTokens, kernel.placement, seed, fused);
      default:
        return applyTrain(x, plan, seed, fused);
    }
  };
  const droppedValue = Math.fround(plan.droppedValue);
  const dropRule: DropRule = alpha ? { y: plan.keepProb < 1 ? droppedValue : NaN, unlessX: NaN } : ZEROED;
  const unit = kernel.kind === 'attention-dropout' ? 1 : unitSize(plan.granularity, shape);
  const sampleSize = shape.slice(1).reduce((a, b) => a * b, 1);
  const total = shape.reduce((a, b) => a * b, 1);
  try {
    // A cold worker's first call compiles shaders and JIT-compiles the kernel: one untimed warm-up. A kernel and
    // shape this worker already ran needs none; the median of the timed calls absorbs a slow first one.
    const warmKey = `${t.getBackend()}|${kernel.kind}|${shape.join(',')}|${fused}`;
    const warmUps = warmedUp.has(warmKey) ? 0 : 1;
    for (let i = 0; i < warmUps; i++) {
      await checkpoint(ctx);
      const y = train(request.seed + 100_000 + i);
      await ctx.sync(y);
      y.dispose();
    }
    warmedUp.add(warmKey);
    const xData = x === raw ? await inputData() : ((await x.data()) as Float32Array);
    // Statistics draw d uses seed + 1 + d, whatever else ran: the figures of a seed do not depend on the warm-ups,
    // the repeats requested, or how many timed calls the time budget allowed.
    const unitsPerDraw = Math.ceil(total / unit);
    const draws = Math.min(16, Math.max(1, Math.ceil(4096 / unitsPerDraw)));
    const drawSeed = (d: number) => request.seed + 1 + d;
    const trainStats = new PairStats();
    const trainHist = new Array<number>(RATIO_BINS.count).fill(0);
    let firstY: Float32Array | undefined;
    const addDraw = async (d: number, y: Tensor): Promise<void> => {
      const yData = (await y.data()) as Float32Array;
      trainStats.add(xData, yData, unit, sampleSize, dropRule);
      if (d < 2) histogram(xData, yData, trainHist);
      firstY ??= yData;
    };
    // Timed call i is statistics draw i, read after the clock stops, unless it was fast (timedDraws).
    const plannedRepeats = Math.max(1, request.repeats ?? 5);
    const { times, drawn } = await timedDraws(
      plannedRepeats,
      request.timingBudgetMs ?? TIMING_BUDGET_MS,
      draws,
      ctx,
      (i) => train(drawSeed(i)),
      addDraw,
    );
    for (let d = drawn; d < draws; d++) {
      await checkpoint(ctx);
      const y = train(drawSeed(d));
      try {
        await addDraw(d, y);
      } finally {
        y.dispose();
      }
    }
    await checkpoint(ctx);
    const yEval = request.activeInEval ? train(request.seed + 999) : applyEval(x, plan);
    const evalData = (await yEval.data()) as Float32Array;
    yEval.dispose();
    const evalStats = new PairStats();
    evalStats.add(xData, evalData, unit, sampleSize, dropRule);
    const evalHist = new Array<number>(RATIO_BINS.count).fill(0);
    histogram(xData, evalData, evalHist);
    const bytesPerCall = total * 4 * 2;
    const result: ProfileResult = {
      ...base,
      fused: fused && hasFusedKernel(),
      train: measurement(trainStats, base.rate, trainHist, false),
      eval: measurement(evalStats, 0, evalHist, true),
      timing: timing(
        times,
        plannedRepeats,
        bytesPerCall,
        plan.keepProb >= 1 && plan.keptScale === 1 && plan.keptShift === 0,
      ),
    };
    if (kernel.kind === 'fusion')
      result.fusion = await fusionCoverage(
        x,
        plan,
        kernel.textTokens,
        kernel.placement,
        request.seed,
        fused,
        firstY!,
        xData,
        ctx,
      );
    return result;
  } finally {
    // The input itself stays cached for the next request.
    if (raw !== x) x.dispose();
  }
}

/** Kernels (backend, kind, shape) whose shaders this worker already compiled. */
const warmedUp = new Set<string>();

function coverage(x: Float32Array, y: Float32Array, shape: number[], from: number, to: number): ModalityCoverage {
  const [b, n, c] = shape;
  let dropped = 0;
  let count = 0;
  for (let s = 0; s < b; s++) {
    for (let tok = from; tok < to; tok++) {
      const off = (s * n + tok) * c;
      for (let k = 0; k < c; k++) {
        count++;
        if (y[off + k] === 0 && x[off + k] !== 0) dropped++;
      }
    }
  }
  return { tokens: to - from, droppedFraction: count ? dropped / count : 0, interval: wilsonInterval(dropped, count) };
}

async function fusionCoverage(
  x: Tensor,
  plan: MaskPlan,
  textTokens: number,
  placement: FusionMeasurement['placement'],
  seed: number,
  fused: boolean,
  firstY: Float32Array,
  xData: Float32Array,
  ctx: RunContext,
): Promise<FusionMeasurement> {
  const shape = x.shape;
  const [, n, c] = shape;
  const of = (y: Float32Array) => ({
    text: coverage(xData, y, shape, 0, textTokens),
    image: coverage(xData, y, shape, textTokens, n),
  });
  const alternatives: FusionMeasurement['alternatives'] = [];
  for (const other of ['after-merge', 'text-before-merge', 'image-before-merge'] as const) {
    if (other === placement) continue;
    await checkpoint(ctx);
    const y = fusionTrain(x, plan, textTokens, other, seed + 1, fused);
    const data = (await y.data()) as Float32Array;
    y.dispose();
    alternatives.push({ placement: other, ...of(data) });
  }
  const tokenMap: number[] = [];
  for (let tok = 0; tok < n; tok++) {
    let z = 0;
    for (let k = 0; k < c; k++) if (firstY[tok * c + k] === 0 && xData[tok * c + k] !== 0) z++;
    tokenMap.push(z / c);
  }
  return { placement, ...of(firstY), alternatives, tokenMap };
}

async function profileSchedule(
  rate: number,
  depth: number,
  request: ProfileRequest,
  ctx: RunContext,
): Promise<Pick<ProfileResult, 'train' | 'eval' | 'timing' | 'schedule'>> {
  const rates = scheduleRates(rate, depth);
  const survivalClosed = rates.map((r) => 1 - r);
  const expectedActiveClosed = survivalClosed.reduce((a, b) => a + b, 0);
  const draws = SCHEDULE_DRAWS;
  const plannedRepeats = Math.max(1, request.repeats ?? 5);
  // Two untimed warm-ups: a schedule is a few thousand values, so they cost nothing next to a mask kernel.
  for (let i = 0; i < 2; i++) {
    await checkpoint(ctx);
    const m = sampleSchedule(rate, depth, draws, request.seed + 1000 + i);
    await ctx.sync(m);
    m.dispose();
  }
  const times = await timedCalls(plannedRepeats, request.timingBudgetMs ?? TIMING_BUDGET_MS, ctx, async (i) => {
    const start = performance.now();
    const m = sampleSchedule(rate, depth, draws, request.seed + 1002 + i);
    await ctx.sync(m);
    const ms = performance.now() - start;
    m.dispose();
    return ms;
  });
  await checkpoint(ctx);
  const m = sampleSchedule(rate, depth, draws, request.seed);
  const data = (await m.data()) as Float32Array;
  m.dispose();
  const perBlock = new Array<number>(depth).fill(0);
  let sum = 0;
  let sum2 = 0;
  let dropped = 0;
  for (let d = 0; d < draws; d++) {
    let active = 0;
    for (let b = 0; b < depth; b++) {
      const v = data[d * depth + b];
      perBlock[b] += v;
      active += v;
    }
    dropped += depth - active;
    sum += active;
    sum2 += active * active;
  }
  const mean = sum / draws;
  const sd = Math.sqrt(Math.max(0, sum2 / draws - mean * mean));
  // The sampled variance can be 0 (rate 0); the closed form's own variance keeps the interval honest.
  const sdClosed = Math.sqrt(survivalClosed.reduce((a, s) => a + s * (1 - s), 0));
  const half = (Z999 * Math.max(sd, sdClosed)) / Math.sqrt(draws);
  const interval: [number, number] = [mean - half, mean + half];
  const meanRate = rates.reduce((a, b) => a + b, 0) / depth;
  const trainInterval = wilsonInterval(dropped, draws * depth);
  const bytesPerCall = draws * depth * 4;
  const blank = new Array<number>(RATIO_BINS.count).fill(0);
  const mode = (
    droppedFraction: number,
    intervalDrop: [number, number],
    active: number,
    identity: boolean,
  ): ModeMeasurement => ({
    droppedFraction,
    interval: intervalDrop,
    units: draws * depth,
    rateInside: meanRate >= intervalDrop[0] && meanRate <= intervalDrop[1],
    meanX: depth,
    meanY: active,
    meanRatio: active / depth,
    varRatio: NaN,
    samplesDroppedWhole: 0,
    maxAbsDiff: identity ? 0 : NaN,
    identity,
    ratioHistogram: blank,
  });
  return {
    train: mode(dropped / (draws * depth), trainInterval, mean, false),
    eval: mode(0, [0, 0], depth, true),
    timing: timing(times, plannedRepeats, bytesPerCall),
    schedule: {
      rates,
      survivalClosed,
      survivalSampled: perBlock.map((v) => v / draws),
      expectedActiveClosed,
      expectedActiveSampled: mean,
      expectedActiveInterval: interval,
      closedInside: expectedActiveClosed >= interval[0] && expectedActiveClosed <= interval[1],
      draws,
    },
  };
}
