import { atom, rescaleEdits, timesInput } from '../engine/semantics/fixes';
import { regularizerOf } from '../engine/semantics/regularizers';
import { RANDOM_TEXT } from '../engine/semantics/syntax-queries';
import type { Rule } from '../engine/rule';
import { HAND_WRITTEN_SITES, measuredExpectation } from './profile-figures';
import { reportWrongScale } from './wrong-scale';

export const dropoutMissingRescale: Rule = {
  meta: {
    code: 'RG005',
    name: 'dropout-missing-rescale',
    summary: 'A hand-written dropout does not scale the kept values by 1/(1 - p), or scales them by the wrong factor.',
    explanation: [
      'Dropout keeps each value with probability `1 - p`. Without a correction, the expected activation is `(1 - ' +
        'p) · E[x]` in training but `E[x]` in evaluation, so every layer after it sees inputs of a different size ' +
        'once the model is evaluated. Inverted dropout (what `nn.Dropout` does) divides the kept values by `1 - p` ' +
        'in training: E[y] = E[x] in both modes. Dividing by `p`, or multiplying by `1 - p` in training, gets the ' +
        'derivation backwards.',
      '',
      'Reglens derives both expectations symbolically from a hand-written mask (`torch.rand_like(x) > p`, ' +
        '`bernoulli`, `masked_fill`, `torch.where`, `x[mask] = 0`, numpy draws), including masks applied to ' +
        'weights (DropConnect, quant-noise). Non-inverted dropout, which applies no scale in training and ' +
        'multiplies by `1 - p` in evaluation, is consistent and the rule is silent. Per-sample masks are drop path ' +
        '(RG004).',
      '',
      'The fix (unsafe) divides the kept values by `1 - p`.',
    ].join('\n'),
    wrong: [
      'class MyDropout(nn.Module):',
      '    def forward(self, x):',
      '        if not self.training:',
      '            return x',
      '        mask = (torch.rand_like(x) > self.p).float()',
      '        return x * mask',
    ].join('\n'),
    right: [
      'class MyDropout(nn.Module):',
      '    def forward(self, x):',
      '        if not self.training:',
      '            return x',
      '        mask = (torch.rand_like(x) > self.p).float()',
      '        return x * mask / (1 - self.p)',
    ].join('\n'),
    defaultSeverity: 'warning',
    fix: 'unsafe',
    triggers: RANDOM_TEXT,
    messages: {
      missing:
        '`{name}` keeps {what} with probability `{keep}` but does not divide them by it: E[y] = {train} in ' +
        'training and {eval} in evaluation. Scale the kept values by 1/({keep}).',
      wrongScale:
        '`{name}` scales kept {what} by `{scale}` instead of 1/({keep}): E[y] = {train} in training and {eval} in ' +
        'evaluation.',
      wrongScaleAt:
        '`{name}` scales kept {what} by `{scale}` (line {line}) instead of 1/({keep}): E[y] = {train} in training ' +
        'and {eval} in evaluation.',
    },
    profile: { sites: HAND_WRITTEN_SITES, phrase: measuredExpectation },
  },

  create(context) {
    return {
      function_definition(node) {
        const s = regularizerOf(context.model, node);
        if (!s || s.kind !== 'dropout' || !s.application || !s.expectationMismatch) return;
        // A factor the evaluator could not read (`?`) is opaque, and opaque values never produce findings.
        if (s.keepProbability.expression.includes('?') || s.trainScale.expression.includes('?')) return;
        if (s.mask.granularity === 'batch' || s.mask.granularity === 'sample') return;
        const data = {
          name: s.name,
          what: s.target.isWeight ? `weights of \`${s.target.name}\`` : 'values',
          keep: s.keepProbability.expression,
          train: timesInput(s.expectation.train),
          eval: timesInput(s.expectation.eval),
          scale: s.trainScale.expression,
        };
        if (s.trainScale.expression !== '1') {
          // Replace the one wrong scale (`x * mask / p`) with the keep probability.
          reportWrongScale(context, s, s.application, data, (kept, k) => `${kept} / ${k}`);
          return;
        }
        const edits = s.keepSource ? rescaleEdits(context.file, s, s.keepSource, false) : null;
        context.report({
          node: s.application,
          messageId: 'missing',
          data,
          fix: edits
            ? { applicability: 'unsafe', title: `Divide the kept values by \`${atom(s.keepSource!)}\``, edits }
            : null,
        });
      },
    };
  },
};
