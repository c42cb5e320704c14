import { rescaleEdits, timesInput } from '../engine/semantics/fixes';
import { regularizerOf } from '../engine/semantics/regularizers';
import { RANDOM_TEXT } from '../engine/semantics/syntax-queries';
import { firstParameter } from '../engine/classes';
import type { Node } from '../engine/parser';
import { lineOf, type Rule, type RuleContext } from '../engine/rule';
import { ancestor, within } from '../engine/syntax';
import { underTrainingGuard } from '../engine/training';
import { HAND_WRITTEN_SITES, measuredExpectation } from './profile-figures';
import { reportWrongScale } from './wrong-scale';

export const droppathMissingRescale: Rule = {
  meta: {
    code: 'RG004',
    name: 'droppath-missing-rescale',
    summary:
      'A hand-written drop path zeroes samples in training but never divides the kept ones by the keep probability.',
    explanation: [
      "In training, drop path keeps a sample's residual branch with probability `keep_prob = 1 - drop_prob` and " +
        'zeroes it otherwise. Unless the kept branches are divided by `keep_prob`, the branch contributes ' +
        '`keep_prob · E[x]` on average in training and the full `E[x]` in evaluation, where drop path is the ' +
        "identity: every block's output shifts when the model is switched to `eval()`, more so in the deep blocks " +
        'of a linearly rising drop-path schedule.',
      '',
      'The rule follows the mask symbolically (through `div_`, `/`, `* 1 / keep_prob`, helpers, and `keep_prob` ' +
        'computed in `__init__`) and also fires on a `scale_by_keep` switch that defaults to `False` when no call ' +
        'in the file turns it on. It is silent when the input rather than the mask is divided (`x.div(keep_prob) * ' +
        'mask`), and for non-inverted drop path, which multiplies by `keep_prob` in evaluation instead (the form ' +
        'of the original stochastic-depth paper).',
      '',
      'A non-inverted drop path is right only if it is called in evaluation too. When every call the rule reads ' +
        "runs under `if self.training` (composer's sample-wise stochastic depth, `if self.training and " +
        'self.drop_rate: out = _sample_drop(out, …)`), its evaluation rescale never runs and the expectations ' +
        'differ exactly as if the training rescale were missing: the call is reported.',
      '',
      'The fix (unsafe) divides the mask or the result by the keep probability, guarded by `keep_prob > 0.0`; for ' +
        'a switch it turns the default on.',
    ].join('\n'),
    wrong: [
      'def drop_path(x, drop_prob: float = 0.0, training: bool = False):',
      '    if drop_prob == 0.0 or not training:',
      '        return x',
      '    keep_prob = 1 - drop_prob',
      '    mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep_prob)',
      '    return x * mask',
    ].join('\n'),
    right: [
      'def drop_path(x, drop_prob: float = 0.0, training: bool = False):',
      '    if drop_prob == 0.0 or not training:',
      '        return x',
      '    keep_prob = 1 - drop_prob',
      '    mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep_prob)',
      '    if keep_prob > 0.0:',
      '        mask = mask / keep_prob',
      '    return x * mask',
    ].join('\n'),
    defaultSeverity: 'warning',
    fix: 'unsafe',
    triggers: RANDOM_TEXT,
    messages: {
      missing:
        '`{name}` keeps samples with probability `{keep}` but never divides them by it: E[y] = {train} in training ' +
        'and {eval} in evaluation. Divide the kept samples by the keep probability.',
      switchOff:
        '`{name}` rescales kept samples only when `{switch}` is on; it defaults to False and no call in this file ' +
        'turns it on: E[y] = {train} in training and {eval} in evaluation.',
      switchOffAt:
        '`{name}` rescales kept samples only when `{switch}` is on; it defaults to False (line {line}) and no call ' +
        'in this file turns it on: E[y] = {train} in training and {eval} in evaluation.',
      wrongScale:
        '`{name}` multiplies kept samples by `{scale}` instead of `1 / ({keep})`: E[y] = {train} in training and ' +
        '{eval} in evaluation.',
      evalNeverRuns:
        '`{name}` rescales by `{keep}` in evaluation instead of in training, but this call runs only in training: ' +
        'its evaluation branch never runs, so E[y] = {train} in training and E[x] in evaluation. Call it in ' +
        'evaluation too (with the training flag), or divide the kept samples by the keep probability in training.',
      wrongScaleAt:
        '`{name}` multiplies kept samples by `{scale}` (line {line}) instead of `1 / ({keep})`: E[y] = {train} in ' +
        'training and {eval} in evaluation.',
    },
    profile: { sites: HAND_WRITTEN_SITES, phrase: measuredExpectation },
  },

  create(context) {
    return {
      call(node) {
        evalBranchSkipped(context, node);
      },
      function_definition(node) {
        const s = regularizerOf(context.model, node);
        if (!s || s.kind !== 'drop-path' || !s.application || !s.expectationMismatch) return;
        // A factor the evaluator could not read (`?`) is opaque, and opaque values never produce findings.
        if (s.keepProbability.expression.includes('?') || s.trainScale.expression.includes('?')) return;
        const sw = s.trainScale.switch;
        const data = {
          name: s.name,
          keep: s.keepProbability.expression,
          train: timesInput(s.expectation.train),
          eval: timesInput(s.expectation.eval),
          scale: s.trainScale.expression,
        };
        if (sw && sw.default === false && !sw.enabledByCaller) {
          // The default may sit in `__init__`: edits stay inside the top-level statement being checked.
          let top = s.node;
          while (top.parent && top.parent.type !== 'module') top = top.parent;
          const inside = sw.defaultNode && within(sw.defaultNode, top);
          // The message names the default's line: the fix edits it there.
          context.report({
            node: s.application,
            messageId: sw.defaultNode ? 'switchOffAt' : 'switchOff',
            data: sw.defaultNode
              ? { ...data, switch: sw.name, line: lineOf(sw.defaultNode) }
              : { ...data, switch: sw.name },
            fix: inside
              ? {
                  applicability: 'unsafe',
                  title: `Turn \`${sw.name}\` on by default`,
                  edits: [context.edit(sw.defaultNode!, 'True')],
                }
              : null,
          });
          return;
        }
        if (s.trainScale.expression !== '1') {
          // Replace the one wrong scale (`x * mask / p`) with the keep probability.
          reportWrongScale(context, s, s.application, data, (kept, k) => `(${kept} / ${k} if ${k} > 0.0 else ${kept})`);
          return;
        }
        const edits = s.keepSource ? rescaleEdits(context.file, s, s.keepSource, true) : null;
        context.report({
          node: s.application,
          messageId: 'missing',
          data,
          fix: edits
            ? { applicability: 'unsafe', title: `Divide the kept samples by \`${s.keepSource}\``, edits }
            : null,
        });
      },
    };
  },
};

/**
 * A non-inverted drop path (kept samples not rescaled in training, the output multiplied by the keep probability in
 * evaluation, as in the stochastic-depth paper) is right only if it is called in evaluation too. Called only under
 * `if self.training`, its evaluation branch never runs and the expectations differ as if the rescale were missing
 * (composer's sample-wise stochastic depth).
 */
function evalBranchSkipped(context: RuleContext, call: Node): void {
  const fn = call.childForFieldName('function');
  const def = fn?.type === 'identifier' ? context.model.functions.get(fn.text) : undefined;
  if (!def) return;
  const s = regularizerOf(context.model, def.node);
  if (!s || s.kind !== 'drop-path' || s.evaluation.behaviour !== 'scaled' || s.expectationMismatch) return;
  if (s.trainScale.expression !== '1' || s.evaluation.factor?.expression !== s.keepProbability.expression) return;
  const method = ancestor(call, ['function_definition'], ['lambda']);
  const selfName = method ? firstParameter(method) : null;
  if (!method || !selfName || !underTrainingGuard(call, { method, selfName })) return;
  context.report({
    node: call,
    messageId: 'evalNeverRuns',
    data: { name: s.name, keep: s.keepProbability.expression, train: timesInput(s.expectation.train) },
  });
}
