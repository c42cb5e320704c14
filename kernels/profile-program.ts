/**
 * Profiles a hand-written regularizer by interpreting its own code (kernels/interpreter/) on the synthetic input,
 * in training and in evaluation. Nothing about the code is assumed: the drop granularity is read off the outputs
 * (the coarsest unit — whole batch, sample, channel, element — whose values are always dropped together), the scale
 * of kept values is y/x where y ≠ 0, and the drop interval counts the independent units of that granularity.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { interpret, type RunStats } from './interpreter/interpret';
import {
  checkpoint,
  histogram,
  inputData,
  inputTensor,
  measurement,
  timedDraws,
  timing,
  TIMING_BUDGET_MS,
  type RunContext,
} from './measurement';
import { describeKernel, unitSize, type Granularity, type ProfileRequest, PROGRAM_LIVE_TENSORS } from './plan';
import { RATIO_BINS, type MeasuredGranularity, type ModeMeasurement, type ProfileResult } from './profile-result';
import { DEFAULT_LIMITS, type InterpreterLimits, type RegularizerProgram } from './program';
import { PairStats, ZEROED } from './stats';
import { tf } from './tf';

/**
 * Training draws: enough that a per-sample mask of 8 samples at keep 0.9 is told from a batch-wide one (0.43^16 <
 * 1e-5).
 */
const TRAIN_DRAWS = 16;
/** Evaluation runs: several, so that code still random in evaluation shows it. */
const EVAL_DRAWS = 4;
const MAX_TRAIN_DRAWS = 64;
const MIN_UNITS = 64;
const DRAWS_MS = 10_000;
const COARSEST_FIRST: Granularity[] = ['batch', 'sample', 'channel', 'element'];

/** Limits for one call, scaled to the input: a regularizer has no business with tensors much larger than its input. */
export function programLimits(shape: readonly number[]): InterpreterLimits {
  const elements = shape.reduce((a, b) => a * b, 1);
  return {
    ...DEFAULT_LIMITS,
    maxElements: Math.max(1 << 20, Math.min(DEFAULT_LIMITS.maxElements, elements * 4)),
    // Intermediates live until the call ends (tf.tidy): a loop of tensor ops must not grow without bound.
    maxBytes: Math.max(64 * 1024 ** 2, elements * 4 * PROGRAM_LIVE_TENSORS),
  };
}

class DrawStats {
  readonly pairs = new PairStats();
  readonly units = new Map<Granularity, { units: number; dropped: number; mixed: number }>(
    COARSEST_FIRST.map((g) => [g, { units: 0, dropped: 0, mixed: 0 }]),
  );
  readonly hist = new Array<number>(RATIO_BINS.count).fill(0);
  draws = 0;
  keptSum = 0;
  keptCount = 0;
  keptMin = Infinity;
  keptMax = -Infinity;

  add(x: Float32Array, y: Float32Array, shape: number[]): void {
    const sampleSize = shape.slice(1).reduce((a, b) => a * b, 1);
    this.pairs.add(x, y, 1, sampleSize, ZEROED);
    if (this.draws < 2) histogram(x, y, this.hist);
    this.draws++;
    for (const g of COARSEST_FIRST) {
      const size = unitSize(g, shape);
      const c = this.units.get(g)!;
      for (let start = 0; start < x.length; start += size) {
        let d = 0;
        const end = Math.min(x.length, start + size);
        for (let i = start; i < end; i++) if (y[i] === 0 && x[i] !== 0) d++;
        c.units++;
        if (d === end - start) c.dropped++;
        else if (d > 0) c.mixed++;
      }
    }
    for (let i = 0; i < x.length; i++) {
      if (y[i] === 0 || Math.abs(x[i]) < 1e-3) continue;
      const r = y[i] / x[i];
      this.keptSum += r;
      this.keptCount++;
      if (r < this.keptMin) this.keptMin = r;
      if (r > this.keptMax) this.keptMax = r;
    }
  }

  /** Independent decisions seen so far, at the measured granularity (whole batches while nothing was dropped). */
  decisions(): number {
    const g = this.granularity();
    return this.units.get(g === 'none' ? 'batch' : g)!.units;
  }

  granularity(): MeasuredGranularity {
    if (this.pairs.dropped === 0) return 'none';
    return COARSEST_FIRST.find((g) => this.units.get(g)!.mixed === 0) ?? 'element';
  }

  measurement(rate: number, evaluation: boolean): ModeMeasurement {
    const g = this.granularity();
    const c = this.units.get(g === 'none' ? 'element' : g)!;
    return measurement(this.pairs, rate, this.hist, evaluation, c);
  }
}

export async function profileProgram(request: ProfileRequest, ctx: RunContext): Promise<ProfileResult> {
  const kernel = request.kernel;
  if (kernel.kind !== 'program') throw new Error('profileProgram takes a program kernel');
  const t = tf();
  const shape = [...request.shape];
  const x = inputTensor(shape, 1);
  const limits = programLimits(shape);
  const stats: RunStats = { steps: 0, maxDepth: 0 };
  const program: RegularizerProgram = kernel.program;
  const call = (training: boolean, seed: number): Tensor =>
    t.tidy(() => {
      const out = interpret(program, x, { training, seed, limits }, stats);
      // `return x` hands back the cached input itself: the caller disposes what it gets.
      return out === x ? t.clone(x) : out;
    });

  const xData = await inputData();
  const train = new DrawStats();
  // One untimed warm-up; then timed call i is training draw i (seed + 1 + i), read after its clock stops unless it
  // was fast (timedDraws). Draw seeds do not depend on how many timed calls ran, so a seed's figures are the same
  // under any time budget.
  await checkpoint(ctx);
  call(true, request.seed + 100_000).dispose();
  const drawSeed = (d: number) => request.seed + 1 + d;
  const addDraw = async (y: Tensor): Promise<void> => {
    try {
      train.add(xData, (await y.data()) as Float32Array, shape);
    } finally {
      y.dispose();
    }
  };
  const plannedRepeats = Math.max(1, request.repeats ?? 5);
  const { times, drawn } = await timedDraws(
    plannedRepeats,
    request.timingBudgetMs ?? TIMING_BUDGET_MS,
    TRAIN_DRAWS,
    ctx,
    (i) => call(true, drawSeed(i)),
    (_d, y) => addDraw(y),
  );
  const steps = stats.steps;
  // Coarse masks make few decisions per draw: draw on until the interval has MIN_UNITS of them (or nothing was
  // dropped in MAX_TRAIN_DRAWS whole batches), so a batch-wide mask at keep 0.9 is not mistaken for no mask; but
  // only while all the draws together took less than DRAWS_MS (slow code on the cpu backend): the interval counts
  // the decisions actually drawn either way.
  const drawsFrom = performance.now();
  const more = (d: number) =>
    d < MAX_TRAIN_DRAWS && train.decisions() < MIN_UNITS && performance.now() - drawsFrom < DRAWS_MS;
  for (let d = drawn; d < TRAIN_DRAWS || more(d); d++) {
    await checkpoint(ctx);
    await addDraw(call(true, drawSeed(d)));
  }
  const evaluation = new DrawStats();
  for (let d = 0; d < EVAL_DRAWS; d++) {
    await checkpoint(ctx);
    const y = call(false, request.seed + 50_000 + d);
    const yData = (await y.data()) as Float32Array;
    y.dispose();
    evaluation.add(xData, yData, shape);
  }
  const bytesPerCall = x.size * 4 * 2;
  return {
    kernel,
    description: describeKernel(kernel),
    rate: kernel.rate,
    shape,
    seed: request.seed,
    backend: ctx.backend,
    device: ctx.device,
    fused: false,
    train: train.measurement(kernel.rate, false),
    eval: evaluation.measurement(0, true),
    timing: timing(times, plannedRepeats, bytesPerCall),
    implementation: {
      granularity: { train: train.granularity(), eval: evaluation.granularity() },
      keptScale: {
        mean: train.keptCount ? train.keptSum / train.keptCount : NaN,
        min: train.keptMin,
        max: train.keptMax,
      },
      steps,
      draws: { train: train.draws, eval: EVAL_DRAWS },
    },
  };
}
