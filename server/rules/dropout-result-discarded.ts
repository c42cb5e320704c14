import { regularizer } from '../engine/catalog';
import type { Rule } from '../engine/rule';
import { callArguments, findArgument } from '../engine/syntax';

export const dropoutResultDiscarded: Rule = {
  meta: {
    code: 'RG011',
    name: 'dropout-result-discarded',
    summary: 'A functional dropout returns a new tensor, and that result is thrown away.',
    explanation: [
      '`F.dropout(x, p, training=self.training)` does not change `x`: it returns a new tensor (unless ' +
        '`inplace=True`). Written as a statement of its own, the dropped copy is discarded and the layer is not ' +
        'regularized at all, while the code reads as if it were.',
      '',
      'The rule is silent for `inplace=True` and for `torch.dropout_` style in-place functions.',
    ].join('\n'),
    wrong: ['def forward(self, x):', '    F.dropout(x, self.p, training=self.training)', '    return self.fc(x)'].join(
      '\n',
    ),
    right: [
      'def forward(self, x):',
      '    x = F.dropout(x, self.p, training=self.training)',
      '    return self.fc(x)',
    ].join('\n'),
    defaultSeverity: 'warning',
    fix: 'safe',
    triggers: /drop|stochastic/i,
    messages: {
      discarded:
        'The result of `{callee}` is discarded: it returns a new tensor and leaves `{input}` unchanged, so nothing ' +
        'is dropped.',
    },
  },

  create(context) {
    return {
      expression_statement(node) {
        if (node.namedChildCount !== 1) return;
        const call = node.namedChild(0);
        if (call?.type !== 'call') return;
        const fn = call.childForFieldName('function');
        const spec = regularizer(context.model.imports.resolve(fn));
        if (!spec || spec.form !== 'function' || spec.kind === 'attention-dropout') return;
        if (spec.inplace) {
          // `inplace=True`, or a flag we cannot read, may mean the input itself was modified.
          const inplace = findArgument(call, spec.inplace);
          if (inplace === 'unknown' || (inplace !== 'absent' && inplace.node.type !== 'false')) return;
        }
        const input = callArguments(call)[0];
        const target = input && input.type !== 'keyword_argument' ? input : null;
        const assignable = target && ['identifier', 'attribute', 'subscript'].includes(target.type);
        context.report({
          node: call,
          messageId: 'discarded',
          data: { callee: fn!.text, input: target?.text ?? 'its input' },
          fix: assignable
            ? {
                applicability: 'safe',
                title: `Assign the result back to \`${target.text}\``,
                edits: [context.insertAt(call.startIndex, `${target.text} = `)],
              }
            : null,
        });
      },
    };
  },
};
