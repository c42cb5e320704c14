/**
 * A hand-written regularizer's record in plain words, as Markdown: what the hover shows.
 */
import type { Granularity, RegularizerSemantics, ScalarValue } from './record';

const GRANULARITY_WORDS: Record<Granularity, string> = {
  element: 'one random decision per element',
  channel: 'one random decision per sample and channel',
  sample: 'one random decision per sample',
  batch: 'one random decision for the whole batch',
  conditional: 'a granularity that depends on a branch',
  unknown: 'a mask of a shape Reglens cannot read',
};

function valueText(v: ScalarValue): string {
  return v.value === undefined || String(v.value) === v.expression
    ? `\`${v.expression}\``
    : `\`${v.expression}\` (${Number(v.value.toPrecision(4))})`;
}

/** The record in plain words, as Markdown. */
export function describeRegularizer(s: RegularizerSemantics): string {
  const what =
    s.kind === 'drop-path'
      ? 'drop path (stochastic depth)'
      : s.target.isWeight
        ? `dropout of the weight \`${s.target.name}\` (DropConnect)`
        : 'dropout';
  const lines = [`**\`${s.name}\`: hand-written ${what}**`, ''];
  let mask = GRANULARITY_WORDS[s.mask.granularity];
  if (s.mask.byCondition)
    mask += ` (\`${s.mask.byCondition.condition}\`: ${s.mask.byCondition.then}, otherwise ${s.mask.byCondition.else})`;
  if (s.mask.shapeBug) mask += `; \`${s.mask.shapeBug}\` holds those values rather than having that shape`;
  lines.push(`- Mask: ${mask}; a value is kept with probability ${valueText(s.keepProbability)}.`);
  const sw = s.trainScale.switch;
  const swDefault = sw?.default === undefined ? 'unknown' : sw.default ? 'True' : 'False';
  const swText = sw
    ? ` (switch \`${sw.name}\`, default ${swDefault}${sw.enabledByCaller ? ', turned on by a caller' : ''})`
    : '';
  lines.push(
    `- Training: kept values are ` +
      `${s.trainScale.expression === '1' ? 'not rescaled' : `multiplied by ${valueText(s.trainScale)}`}${swText}.`,
  );
  const ev = s.evaluation;
  const evText = {
    identity: 'returns the input unchanged',
    scaled: `multiplies the input by ${ev.factor ? valueText(ev.factor) : 'a factor'}`,
    stochastic: 'still drops values at random (no training check)',
    caller: 'not decided here: the caller must skip this function outside training',
    unknown: 'not determined',
  }[ev.behaviour];
  lines.push(`- Evaluation: ${evText}.`);
  const { train, eval: evalE } = s.expectation;
  lines.push(
    `- E[y]/E[x]: ${valueText(train)} in ` +
      `training${evalE ? `, ${valueText(evalE)} in evaluation` : ''}${s.expectationMismatch ? ' — they differ' : ''}.`,
  );
  const d = Object.entries(s.defaults);
  if (d.length) lines.push('', `Numbers use the defaults ${d.map(([k, v]) => `\`${k}=${v}\``).join(', ')}.`);
  return lines.join('\n');
}
