/**
 * What a profile measures: the result one request gets back from the worker (`ProfileResult`) and its parts, for
 * fixed kernels (profile.ts) and interpreted code (profile-program.ts) alike. Types and one constant only: the
 * host, the protocol, the formatter and the language server read them without loading the kernels.
 */
import type { Granularity, KernelSpec } from './plan';

/** The bins of every ratio histogram (`ModeMeasurement.ratioHistogram`): y/x from min to max in count equal steps. */
export const RATIO_BINS = { min: -1, max: 3, count: 40 };

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

/** What the outputs say about the code, beyond the measurements every kernel has. */
export interface ImplementationMeasurement {
  /** The coarsest unit whose values were always dropped together; `none` when nothing was dropped. */
  granularity: { train: MeasuredGranularity; eval: MeasuredGranularity };
  /** y/x over kept values in training (min = max for a constant rescale). */
  keptScale: { mean: number; min: number; max: number };
  /** Interpreter steps of one training call. */
  steps: number;
  draws: { train: number; eval: number };
}

export type MeasuredGranularity = Granularity | 'none';
