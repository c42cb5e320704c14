import type { Rule } from '../engine/rule';
import { regularizerActiveInEval } from './regularizer-active-in-eval';
import { unusedRegularizer } from './unused-regularizer';
import { suspiciousRate } from './suspicious-rate';
import { dropoutResultDiscarded } from './dropout-result-discarded';
import { dropoutBeforeFusion } from './dropout-before-fusion';
import { missingSublayerDropout } from './missing-sublayer-dropout';
import { dropoutBeforeSoftmax } from './dropout-before-softmax';
import { doubleDropout } from './double-dropout';
import { droppathNotPerSample } from './droppath-not-per-sample';
import { droppathMissingRescale } from './droppath-missing-rescale';
import { dropoutMissingRescale } from './dropout-missing-rescale';
import { regularizerMisplaced } from './regularizer-misplaced';
import { trainingModeFrozen } from './training-mode-frozen';
import { evalInTrainMode } from './eval-in-train-mode';
import { rateNeverApplied } from './rate-never-applied';
import { layerdropBypassed } from './layerdrop-bypassed';
import { shortcutMaskInverted } from './shortcut-mask-inverted';
import { dropoutNoiseMismatch } from './dropout-noise-mismatch';
import { unusedNoqa } from './unused-noqa';

/**
 * Every rule, in code order. Adding a rule: one module here, its fixtures under test/rules/<code>/, then `npm run
 * docs`.
 */
export const rules: readonly Rule[] = [
  dropoutBeforeFusion,
  missingSublayerDropout,
  droppathNotPerSample,
  droppathMissingRescale,
  dropoutMissingRescale,
  regularizerActiveInEval,
  unusedRegularizer,
  suspiciousRate,
  dropoutBeforeSoftmax,
  doubleDropout,
  dropoutResultDiscarded,
  regularizerMisplaced,
  trainingModeFrozen,
  evalInTrainMode,
  rateNeverApplied,
  shortcutMaskInverted,
  layerdropBypassed,
  dropoutNoiseMismatch,
  unusedNoqa,
].sort((a, b) => a.meta.code.localeCompare(b.meta.code));

export const ruleByCode = new Map(rules.map((r) => [r.meta.code, r]));

/** The codes of every rule: what a configuration's codes and prefixes are checked against. */
export const ruleCodes: readonly string[] = rules.map((r) => r.meta.code);
