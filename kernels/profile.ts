/**
 * `profileKernel`: runs one request on the active backend and measures what the regularizer does in training and
 * in evaluation. Deterministic: every draw's seed derives from `request.seed`.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { applyEval, applyTrain, attentionTrain, fusionTrain, hasFusedKernel, sampleSchedule, scheduleRates } from './ops';
import { configuredRate, describeKernel, kernelShape, maskPlan, SCHEDULE_DRAWS, unitSize, type KernelSpec, type MaskPlan, type ProfileRequest } from './plan';
import { median, PairStats, wilsonInterval, ZEROED, Z999, type DropRule } from './stats';
import { profileProgram, type ImplementationMeasurement } from './profile-program';
import { tf } from './tf';

export interface ModeMeasurement {
  /** Fraction of values dropped (zeroed; for alpha dropout set to the saturation value). */
  droppedFraction: number;
  /** 99.9 % Wilson interval of the drop probability, over independent units (elements, channels or samples). */
  interval: [number, number];
  units: number;
  /** Whether the configured rate lies inside the interval. */
  rateInside: boolean;
  meanX: number;
  meanY: number;
  meanRatio: number;
  varRatio: number;
  samplesDroppedWhole: number;
  maxAbsDiff: number;
  /** y equals x exactly, value for value. */
  identity: boolean;
  /** Histogram of y/x over RATIO_BINS. */
  ratioHistogram: number[];
}

export interface ModalityCoverage {
  tokens: number;
  droppedFraction: number;
  interval: [number, number];
}

export interface FusionMeasurement {
  placement: string;
  text: ModalityCoverage;
  image: ModalityCoverage;
  /** The other placements, for comparison. */
  alternatives: Array<{ placement: string; text: ModalityCoverage; image: ModalityCoverage }>;
  /** Fraction of values zeroed per token of the first sample (the token map). */
  tokenMap: number[];
}

export interface ScheduleMeasurement {
  rates: number[];
  survivalClosed: number[];
  survivalSampled: number[];
  expectedActiveClosed: number;
  expectedActiveSampled: number;
  /** 99.9 % CLT interval of the sampled mean. */
  expectedActiveInterval: [number, number];
  closedInside: boolean;
  draws: number;
}

export interface Timing {
  /** The regularizer does nothing at this rate (PyTorch returns x itself): the time is of a no-op. */
  noop: boolean;
  medianMs: number;
  /** Timed calls that ran: fewer than `plannedRepeats` when the calls used up the time budget. */
  repeats: number;
  plannedRepeats: number;
  bytesPerCall: number;
  gbPerSecond: number;
}

export interface ProfileResult {
  kernel: KernelSpec;
  description: string;
  rate: number;
  shape: number[];
  seed: number;
  backend: string;
  device: string;
  fused: boolean;
  train: ModeMeasurement;
  eval: ModeMeasurement;
  timing: Timing;
  fusion?: FusionMeasurement;
  schedule?: ScheduleMeasurement;
  /** Interpreted code: the granularity and scale its outputs show. */
  implementation?: ImplementationMeasurement;
}

export const RATIO_BINS = { min: -1, max: 3, count: 40 };

export class CancelledError extends Error {
  constructor() {
    super('Profiling was cancelled.');
  }
}

export interface RunContext {
  backend: string;
  device: string;
  isCancelled: () => boolean;
  /** Waits until the backend finished the work behind `y` (GPU queues), so timings are of the kernel. */
  sync: (y: Tensor) => Promise<void>;
}

/**
 * Timed calls stop early once they took this long together, after at least MIN_TIMED of them: on a warm worker a
 * lens click waits for every timed call, and a median of 3 slow calls says as much as a median of 5.
 */
export const TIMING_BUDGET_MS = 100;
const MIN_TIMED = 3;

/**
 * Runs `call(i)`, which times itself, for i = 0, 1, … up to `planned` times, stopping early once at least
 * min(MIN_TIMED, planned) ran and their times add up to `budgetMs`. Returns the times, one per call that ran.
 */
export async function timedCalls(planned: number, budgetMs: number, ctx: RunContext, call: (i: number) => Promise<number>): Promise<number[]> {
  const times: number[] = [];
  const minimum = Math.min(MIN_TIMED, planned);
  let spent = 0;
  while (times.length < planned && (times.length < minimum || spent < budgetMs)) {
    await checkpoint(ctx);
    const ms = await call(times.length);
    times.push(ms);
    spent += ms;
  }
  return times;
}

const yieldTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function checkpoint(ctx: RunContext): Promise<void> {
  await yieldTurn();
  if (ctx.isCancelled()) throw new CancelledError();
}

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
  if (kernel.kind === 'schedule') return { ...base, fused: false, ...(await profileSchedule(kernel.rate, kernel.depth, request, ctx)) };

  const plan = (kernel.kind === 'attention-dropout' ? maskPlan({ kind: 'dropout', p: kernel.p }) : maskPlan(kernel)) as MaskPlan;
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
    // Timed call i is statistics draw i: its output is read after the clock stops, so no call is spent twice.
    const plannedRepeats = Math.max(1, request.repeats ?? 5);
    const times = await timedCalls(plannedRepeats, request.timingBudgetMs ?? TIMING_BUDGET_MS, ctx, async (i) => {
      const start = performance.now();
      const y = train(drawSeed(i));
      await ctx.sync(y);
      const ms = performance.now() - start;
      try {
        if (i < draws) await addDraw(i, y);
      } finally {
        y.dispose();
      }
      return ms;
    });
    for (let d = times.length; d < draws; d++) {
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
    const medianMs = median(times);
    const bytesPerCall = total * 4 * 2;
    const result: ProfileResult = {
      ...base,
      fused: fused && hasFusedKernel(),
      train: measurement(trainStats, base.rate, trainHist, false),
      eval: measurement(evalStats, 0, evalHist, true),
      timing: { noop: plan.keepProb >= 1 && plan.keptScale === 1 && plan.keptShift === 0, medianMs, repeats: times.length, plannedRepeats, bytesPerCall, gbPerSecond: bytesPerCall / (medianMs * 1e6) },
    };
    if (kernel.kind === 'fusion') result.fusion = await fusionCoverage(x, plan, kernel.textTokens, kernel.placement, request.seed, fused, firstY!, xData, ctx);
    return result;
  } finally {
    // The input itself stays cached for the next request.
    if (raw !== x) x.dispose();
  }
}

/**
 * The synthetic activations, N(mean, 1), seeded by the shape only: kept between requests so that a warm worker
 * goes straight to the kernel (generating and uploading x costs as much as several kernel calls).
 */
/** Kernels (backend, kind, shape) whose shaders this worker already compiled. */
const warmedUp = new Set<string>();

let cachedInput: { key: string; tensor: Tensor; data?: Float32Array } | undefined;

export function inputTensor(shape: number[], mean: number): Tensor {
  const t = tf();
  const key = `${t.getBackend()}|${shape.join(',')}|${mean}`;
  if (cachedInput?.key === key && !cachedInput.tensor.isDisposed) return cachedInput.tensor;
  cachedInput?.tensor.dispose();
  const seed = shape.reduce((a, d) => (a * 31 + d) % 2147483647, 17);
  cachedInput = { key, tensor: t.randomNormal(shape, mean, 1, 'float32', seed) };
  return cachedInput.tensor;
}

export async function inputData(): Promise<Float32Array> {
  const entry = cachedInput!;
  entry.data ??= (await entry.tensor.data()) as Float32Array;
  return entry.data;
}

/**
 * One mode's figures from its value pairs. The drop interval counts independent units: the kernel's own (`s`), or
 * `counted` where the granularity was read off the outputs (an interpreted program).
 */
export function measurement(
  s: PairStats,
  rate: number,
  ratioHistogram: number[],
  evaluation: boolean,
  counted: { dropped: number; units: number } = { dropped: s.droppedUnits, units: s.units },
): ModeMeasurement {
  const interval = wilsonInterval(counted.dropped, counted.units);
  return {
    droppedFraction: s.dropped / s.n,
    interval,
    units: counted.units,
    rateInside: rate >= interval[0] && rate <= interval[1],
    meanX: s.meanX,
    meanY: s.meanY,
    meanRatio: s.meanY / s.meanX,
    varRatio: s.varY / s.varX,
    samplesDroppedWhole: s.samplesDroppedWhole / s.samples,
    maxAbsDiff: s.maxAbsDiff,
    identity: evaluation ? s.maxAbsDiff === 0 : false,
    ratioHistogram,
  };
}

export function histogram(x: Float32Array, y: Float32Array, bins: number[]): void {
  const { min, max, count } = RATIO_BINS;
  const width = (max - min) / count;
  // A strided sample is plenty for a chart.
  const step = Math.max(1, Math.floor(x.length / 65536));
  for (let i = 0; i < x.length; i += step) {
    if (x[i] === 0) continue;
    const r = y[i] / x[i];
    const b = Math.min(count - 1, Math.max(0, Math.floor((r - min) / width)));
    bins[b]++;
  }
}

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

async function fusionCoverage(x: Tensor, plan: MaskPlan, textTokens: number, placement: FusionMeasurement['placement'], seed: number, fused: boolean, firstY: Float32Array, xData: Float32Array, ctx: RunContext): Promise<FusionMeasurement> {
  const shape = x.shape;
  const [, n, c] = shape;
  const of = (y: Float32Array) => ({ text: coverage(xData, y, shape, 0, textTokens), image: coverage(xData, y, shape, textTokens, n) });
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

async function profileSchedule(rate: number, depth: number, request: ProfileRequest, ctx: RunContext): Promise<Pick<ProfileResult, 'train' | 'eval' | 'timing' | 'schedule'>> {
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
  const medianMs = median(times);
  const bytesPerCall = draws * depth * 4;
  const blank = new Array<number>(RATIO_BINS.count).fill(0);
  const mode = (droppedFraction: number, intervalDrop: [number, number], active: number, identity: boolean): ModeMeasurement => ({
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
    timing: { noop: false, medianMs, repeats: times.length, plannedRepeats, bytesPerCall, gbPerSecond: bytesPerCall / (medianMs * 1e6) },
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
