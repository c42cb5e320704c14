/**
 * The measuring both profilers share (fixed kernels in profile.ts, interpreted code in profile-program.ts): the
 * run context and cancellation, budgeted timed calls, the cached synthetic input, and one mode's figures and ratio
 * histogram from its value pairs.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { RATIO_BINS, type ModeMeasurement, type Timing } from './profile-result';
import { median, wilsonInterval, type PairStats } from './stats';
import { tf } from './tf';

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
export async function timedCalls(
  planned: number,
  budgetMs: number,
  ctx: RunContext,
  call: (i: number) => Promise<number>,
): Promise<number[]> {
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

/**
 * A call faster than this is timed back to back with the next, its output not read as a statistics draw: reading an
 * output (a copy off the backend, a pass over x and y) evicts x from the cache, and the next timed call then counts
 * the refill as well (a drop path at [8,256,768] on wasm: 0.2 ms back to back, 0.6 ms after a read; PyTorch's
 * timing in bench/profiler.ts runs back to back too). A slower call doubles as a draw: running it again would cost
 * a lens more than the cache costs its timing.
 */
export const BACK_TO_BACK_MS = 2;

/**
 * `timedCalls` over `call(i)`, whose output doubles as statistics draw i (`addDraw`, after the clock stops) while
 * draws 0 … i − 1 were read and the call took at least BACK_TO_BACK_MS. Returns the times and how many draws were
 * read: always the first ones, in order, so the caller's sums are the same numbers whatever was timed.
 */
export async function timedDraws(
  planned: number,
  budgetMs: number,
  draws: number,
  ctx: RunContext,
  call: (i: number) => Tensor,
  addDraw: (d: number, y: Tensor) => Promise<void>,
): Promise<{ times: number[]; drawn: number }> {
  let drawn = 0;
  const times = await timedCalls(planned, budgetMs, ctx, async (i) => {
    const start = performance.now();
    const y = call(i);
    await ctx.sync(y);
    const ms = performance.now() - start;
    try {
      if (i === drawn && i < draws && ms >= BACK_TO_BACK_MS) {
        await addDraw(i, y);
        drawn++;
      }
    } finally {
      y.dispose();
    }
    return ms;
  });
  return { times, drawn };
}

/** The timing of a measurement: the median of the timed calls, and the bytes each call read and wrote per second. */
export function timing(times: number[], plannedRepeats: number, bytesPerCall: number, noop = false): Timing {
  const medianMs = median(times);
  return {
    noop,
    medianMs,
    repeats: times.length,
    plannedRepeats,
    bytesPerCall,
    gbPerSecond: bytesPerCall / (medianMs * 1e6),
  };
}

const yieldTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function checkpoint(ctx: RunContext): Promise<void> {
  await yieldTurn();
  if (ctx.isCancelled()) throw new CancelledError();
}

/**
 * The synthetic activations, N(mean, 1), seeded by the shape only: kept between requests so that a warm worker
 * goes straight to the kernel (generating and uploading x costs as much as several kernel calls).
 */
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
