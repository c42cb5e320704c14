import type { SiteMeasurement } from '../engine/rule';

/**
 * Profile phrasing shared by the hand-written regularizer rules (RG003–RG005): a site profiled by running the
 * regularizer's own code, and the training/evaluation expectation measured on its derived semantics.
 */

/** An implementation site's finding: what running the code showed, when it bears on the rule. */
export function measuredByRunning(sentence: string | undefined, m: SiteMeasurement): string | undefined {
  return sentence ? `Measured by running its code: ${sentence} (${m.where}).` : undefined;
}

/** E[y]/E[x] in training against evaluation, when they differ beyond the drop fraction's 99.9 % interval. */
export function measuredExpectation(m: SiteMeasurement): string | undefined {
  const r = m.result;
  if (r.implementation) return measuredByRunning(m.implementation.expectation, m);
  if (r.kernel.kind !== 'semantics') return undefined;
  // E[y]/E[x] in training is keep × scale: its interval follows from the drop fraction's 99.9 % interval.
  const scale = r.kernel.semantics.trainScale;
  const lo = Math.min((1 - r.train.interval[1]) * scale, r.train.meanRatio);
  const hi = Math.max((1 - r.train.interval[0]) * scale, r.train.meanRatio);
  if (r.eval.meanRatio >= lo && r.eval.meanRatio <= hi) return undefined;
  return (
    `Measured: E[y]/E[x] = ${r.train.meanRatio.toFixed(3)} in training (99.9% interval ` +
    `${lo.toFixed(3)}–${hi.toFixed(3)}) vs ${r.eval.meanRatio.toFixed(3)} in evaluation (${m.where}).`
  );
}

/** Every kind of site but the hand-written ones: the sites whose kernel is a library regularizer's. */
export const LIBRARY_SITES = ['module', 'call', 'schedule', 'fusion', 'attention-logits'] as const;
export const HAND_WRITTEN_SITES = ['hand-written', 'implementation'] as const;
