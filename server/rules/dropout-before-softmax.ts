import { firstArgument, unwrapCall, withFirstArgument } from '../engine/edits';
import { droppedLogits } from '../engine/flow/findings';
import { within } from '../engine/syntax';
import type { DroppedLogits } from '../engine/flow/types';
import { lineOf, percent, type Rule, type RuleContext } from '../engine/rule';

export const dropoutBeforeSoftmax: Rule = {
  meta: {
    code: 'RG009',
    name: 'dropout-before-softmax',
    summary:
      'Dropout is applied to attention scores (logits) that then go into softmax, instead of to the probabilities.',
    explanation: [
      'Attention dropout belongs after the softmax: it zeroes attention *probabilities*, so a query cannot rely on ' +
        'any single key. Applied to the logits before the softmax, it sets some scores to 0, which softmax turns ' +
        'into ordinary non-zero weights (exp(0) = 1), and it scales the remaining scores by 1/(1 - p), which ' +
        'sharpens the distribution. Nothing is dropped, and the temperature of the attention changes between ' +
        'training and evaluation.',
      '',
      'The rule reads attention scores: a product of queries and transposed keys (`q @ k.transpose(-2, -1)`, ' +
        '`torch.matmul(q, k.mT)`, `torch.bmm`, `torch.einsum("bhid,bhjd->bhij", q, k)`), then element-wise steps ' +
        'that keep them scores (scaling, `masked_fill`, an added mask or position bias). It follows a dropout of ' +
        'such scores into softmax (`F.softmax`, `torch.softmax`, `.softmax(-1)`, `log_softmax`, `nn.Softmax`).',
      '',
      "It stays silent on a dropout of anything else that reaches a softmax: a classifier's hidden features before " +
        "its `log_softmax`, a pooling layer's cluster-assignment logits from a linear layer, an edge scorer's " +
        'scores. Those are features, and dropping them is ordinary dropout. A matrix product or linear layer ' +
        'between the dropout and the softmax silences it too, and so does a product with no transposed operand ' +
        '(`adj @ h`, `attn @ v`).',
      '',
      'The fix (unsafe) moves the same dropout to the softmax output.',
    ].join('\n'),
    wrong: [
      'scores = q @ k.transpose(-2, -1) * self.scale',
      'scores = self.attn_drop(scores)',
      'attn = scores.softmax(dim=-1)',
      'out = attn @ v',
    ].join('\n'),
    right: [
      'scores = q @ k.transpose(-2, -1) * self.scale',
      'attn = self.attn_drop(scores.softmax(dim=-1))',
      'out = attn @ v',
    ].join('\n'),
    defaultSeverity: 'warning',
    fix: 'unsafe',
    triggers: /softmax/i,
    messages: {
      logits:
        '`{drop}` drops attention logits that go into softmax at line {line}: a zeroed logit still gets weight ' +
        'after softmax, so nothing is dropped and the scores are sharpened by 1/(1-p) instead. Apply the dropout ' +
        'to the softmax output.',
    },
    profile: {
      sites: ['attention-logits'],
      phrase: ({ result: r, where }) =>
        r.kernel.kind === 'attention-dropout'
          ? `Measured in training: ${percent(r.train.droppedFraction)} of attention probabilities dropped at ` +
            `p=${r.kernel.p} (${where}).`
          : undefined,
    },
  },

  create(context) {
    return {
      moduleClass(cls) {
        for (const l of droppedLogits(context.model.forward, cls)) {
          context.report({
            node: l.drop.call,
            messageId: 'logits',
            data: { drop: l.drop.label, line: lineOf(l.softmax) },
            related: [{ range: context.edit(l.softmax, '').range, message: 'softmax of the dropped logits' }],
            fix: moveAfterSoftmax(context, l),
          });
        }
      },
    };
  },
};

function moveAfterSoftmax(context: RuleContext, l: DroppedLogits) {
  const drop = l.drop.call;
  const softmax = l.softmax;
  const input = firstArgument(drop);
  if (!input) return null;
  const title = `Move \`${l.drop.label}\` after the softmax`;
  if (within(drop, softmax)) {
    // `F.softmax(self.drop(s), -1)` → `self.drop(F.softmax(s, -1))`: one edit over the softmax call.
    const inner =
      softmax.text.slice(0, drop.startIndex - softmax.startIndex) +
      input.text +
      softmax.text.slice(drop.endIndex - softmax.startIndex);
    const moved = withFirstArgument(drop, inner);
    return moved ? { applicability: 'unsafe' as const, title, edits: [context.edit(softmax, moved)] } : null;
  }
  if (softmax.startIndex < drop.endIndex) return null;
  const unwrap = unwrapCall(context.file, drop);
  const moved = withFirstArgument(drop, softmax.text);
  if (!unwrap || !moved) return null;
  return { applicability: 'unsafe' as const, title, edits: [unwrap, context.edit(softmax, moved)] };
}
