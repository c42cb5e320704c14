import { rateArguments, regularizer, type Parameter } from '../engine/catalog';
import type { Node } from '../engine/parser';
import { percent, type Rule, type RuleContext } from '../engine/rule';
import { atomText, findArgument, lastName, numericLiteral } from '../engine/syntax';
import { LIBRARY_SITES } from './profile-figures';

/** Names that say "probability of keeping", the opposite of what every PyTorch rate argument means. */
const KEEP_NAME = /^(keep|keep_?prob(ability)?|keep_?rate|keep_?p|p_?keep|prob_?keep|keep_?ratio|retain_?prob)$/i;

export const suspiciousRate: Rule = {
  meta: {
    code: 'RG008',
    name: 'suspicious-rate',
    summary: 'A dropout or drop-path rate that cannot be right: outside [0, 1], exactly 1, or a keep probability.',
    explanation: [
      'Every PyTorch rate argument (`nn.Dropout(p)`, `F.dropout(x, p)`, `DropPath(drop_prob)`, ' +
        '`StochasticDepth(p)`, `dropout_p`, `nn.MultiheadAttention(dropout=…)`) is the probability of *dropping*. ' +
        'A literal outside `[0, 1]` fails, but not always where it is written: `nn.Dropout(1.5)` (and the other ' +
        '`nn.Dropout*` layers, `nn.TransformerEncoderLayer(dropout=1.5)`) raises a `ValueError` when it is ' +
        'constructed, `F.dropout(x, 1.5)` when it is called, and `nn.MultiheadAttention(dropout=1.5)` only when ' +
        "attention runs in training (it builds and evaluates without complaint); timm's `DropPath` checks nothing " +
        'and fails in `bernoulli_` in training. A rate of exactly `1.0` zeroes the whole activation in training; ' +
        'and a value named `keep_prob` passed as the rate inverts the intent — `keep_prob=0.9` drops 90 % of the ' +
        'values.',
      '',
      'Out-of-range literals are errors; the other two are warnings. The rule is silent for `bernoulli(keep_prob)` ' +
        'and other places where a keep probability belongs, for guards such as `if p == 1.0:`, and for drop-path ' +
        'schedules built with `torch.linspace(0, rate, depth)` that rise to a high final rate.',
    ].join('\n'),
    wrong: ['self.drop = nn.Dropout(p=keep_prob)'].join('\n'),
    right: ['self.drop = nn.Dropout(p=1 - keep_prob)'].join('\n'),
    defaultSeverity: 'warning',
    fix: 'unsafe',
    triggers: /drop|stochastic|MultiheadAttention|Transformer/i,
    messages: {
      outOfRange: 'Rate {value} for `{callee}` is outside [0, 1]: {param} is a probability.',
      dropsAll: 'Rate {value} for `{callee}` drops every value in training: the layer outputs zeros.',
      keepProbability:
        '`{name}` looks like a keep probability, but `{callee}` takes the probability of dropping ({param}). Did ' +
        'you mean `1 - {name}`?',
    },
    profile: {
      sites: LIBRARY_SITES,
      phrase: ({ result: r, where }) =>
        `Measured in training: ${percent(r.train.droppedFraction)} of values dropped (99.9% interval ` +
        `${percent(r.train.interval[0])}–${percent(r.train.interval[1])}; ${where}).`,
    },
  },

  create(context) {
    return {
      call(node) {
        const fn = node.childForFieldName('function');
        const qualified = context.model.imports.resolve(fn);
        if (!qualified) return;
        const param: Parameter | undefined = regularizer(qualified)?.rate ?? rateArguments.get(qualified);
        if (!param) return;
        const arg = findArgument(node, param);
        if (arg === 'absent' || arg === 'unknown') return;
        check(context, fn!.text, param, arg.node);
      },
    };
  },
};

function check(context: RuleContext, callee: string, param: Parameter, value: Node): void {
  const n = numericLiteral(value);
  if (n !== undefined) {
    if (n < 0 || n > 1)
      context.report({
        node: value,
        messageId: 'outOfRange',
        severity: 'error',
        data: { value: value.text, callee, param: param.name },
      });
    else if (n === 1) context.report({ node: value, messageId: 'dropsAll', data: { value: value.text, callee } });
    return;
  }
  const name = lastName(value);
  if (name && KEEP_NAME.test(name)) {
    context.report({
      node: value,
      messageId: 'keepProbability',
      data: { name: value.text, callee, param: param.name },
      fix: {
        applicability: 'unsafe',
        title: `Use \`1 - ${value.text}\``,
        edits: [context.edit(value, `1 - ${atomText(value)}`)],
      },
    });
  }
}
