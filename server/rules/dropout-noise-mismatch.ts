import { regularizer } from '../engine/catalog';
import type { Node } from '../engine/parser';
import { readsOf } from '../engine/rate-params';
import { lineOf, type Rule, type RuleContext } from '../engine/rule';
import { boundNames, callArguments, walk, withoutParentheses } from '../engine/syntax';

/**
 * RG018: `dropout(a) - a` is the noise a dropout adds, a correction term of its own (NeMo's DoRA subtracts it from
 * the frozen weight's output). Written `dropout(a) - b`, with `a` computed from `b` a line above (the adapter's
 * input after a layer norm, `b` the layer's own input), the difference is not that noise: in evaluation, where the
 * dropout passes `a` through, it is `a - b` instead of zero. Only plain names are read, and only when one of them is
 * assigned from an expression that reads the other in the same function: the two tensors are then related but not
 * the same.
 */

/** A name that says it is a dropout: `dropout`, `self.attn_drop`, `self.adapter.lora_dropout`, `drop1`. */
const DROPOUT_NAME = /^(?:\w*_)?(?:dropout|drop)\d*$/i;

/** Is `call` a dropout: a library one, a submodule built as one, or a callable named as one? */
function isDropout(context: RuleContext, call: Node): boolean {
  const fn = call.childForFieldName('function');
  if (!fn) return false;
  const spec = regularizer(context.model.imports.resolve(fn));
  if (spec) return spec.form === 'function' && spec.kind !== 'attention-dropout';
  const name = fn.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn.text;
  if (name && DROPOUT_NAME.test(name)) return true;
  // `self.noise(h)` with `self.noise = nn.Dropout(p)` in `__init__`.
  const scope = context.moduleMethod(call);
  if (!scope || fn.type !== 'attribute' || fn.childForFieldName('object')?.text !== scope.selfName) return false;
  const submodule = scope.cls.members.submodules.find((s) => s.chain.includes(name ?? ''));
  return (
    !!submodule && submodule.regularizers.length > 0 && submodule.regularizers.every((r) => r.kind !== 'drop-path')
  );
}

/** The last assignment to `name` in `fn` that ends before `offset` (nested functions and classes left out). */
function lastAssignment(fn: Node, name: string, offset: number): Node | null {
  let last: Node | null = null;
  walk(fn, (n) => {
    if (n.id !== fn.id && (n.type === 'function_definition' || n.type === 'class_definition' || n.type === 'lambda'))
      return false;
    if (n.startIndex >= offset) return false;
    if (n.type !== 'assignment' || n.endIndex > offset) return;
    const left = n.childForFieldName('left');
    const bound = new Set<string>();
    if (left) boundNames(left, bound);
    if (bound.has(name)) last = n;
  });
  return last;
}

/** How the two names are related: `derived` was last assigned from an expression that reads `source`. */
interface Derivation {
  derived: string;
  source: string;
  assignment: Node;
}

function derivation(fn: Node, input: string, other: string, offset: number): Derivation | null {
  for (const [derived, source] of [
    [input, other],
    [other, input],
  ]) {
    const assignment = lastAssignment(fn, derived, offset);
    const value = assignment?.childForFieldName('right');
    if (!assignment || !value || readsOf(value, source).length === 0) continue;
    // `source` rebound since: the tensor subtracted is not the one `derived` was computed from.
    const rebound = lastAssignment(fn, source, offset);
    if (!rebound || rebound.endIndex <= assignment.startIndex) return { derived, source, assignment };
  }
  return null;
}

export const dropoutNoiseMismatch: Rule = {
  meta: {
    code: 'RG018',
    name: 'dropout-noise-mismatch',
    summary:
      "A dropout's output minus a tensor other than its input: the difference is not the noise the dropout adds.",
    explanation: [
      '`dropout(a) - a` is what a dropout adds to `a`: zero where nothing is dropped, and zero in evaluation, where ' +
        'the dropout passes `a` through. Weight-decomposed adapters (DoRA) use it as a correction term. Written ' +
        '`dropout(a) - b`, where `a` is computed from `b` (or `b` from `a`), the difference also holds `a - b`: the ' +
        "correction is wrong in training and is not zero in evaluation. NVIDIA NeMo's `DoRALinear` shipped it: " +
        '`self.adapter.dropout(layernorm_output) - x`, where `layernorm_output` came from ' +
        '`self.base_linear_forward(x)`.',
      '',
      'The rule reads a subtraction whose one side is a dropout called on a plain name and whose other side is a ' +
        'plain name, in any function, and fires only when one name was last assigned, earlier in the same function, ' +
        'from an expression that reads the other, and the other was not rebound since. A dropout is a library one ' +
        '(`F.dropout`), a submodule built as one, or a callable whose name says it is one (`self.adapter.dropout`, ' +
        '`self.attn_drop`).',
      '',
      "The fix (unsafe: it changes what is computed) subtracts the dropout's own input.",
    ].join('\n'),
    wrong: [
      'def forward(self, x):',
      '    out, bias, h = self.base_linear_forward(x)',
      '    correction = self.base_linear_forward(self.adapter.dropout(h) - x)[0]',
      '    return out + correction, bias',
    ].join('\n'),
    right: [
      'def forward(self, x):',
      '    out, bias, h = self.base_linear_forward(x)',
      '    correction = self.base_linear_forward(self.adapter.dropout(h) - h)[0]',
      '    return out + correction, bias',
    ].join('\n'),
    defaultSeverity: 'warning',
    fix: 'unsafe',
    triggers: /drop/i,
    messages: {
      mismatch:
        '`{difference}` takes `{other}` for `{input}`, the tensor the dropout received (`{derived}` is computed ' +
        "from `{source}` at line {line}): the difference is not the dropout's noise, and in evaluation, where the " +
        'dropout passes `{input}` through, it is `{evaluated}` instead of zero.',
    },
  },

  create(context) {
    return {
      binary_operator(node) {
        if (node.childForFieldName('operator')?.type !== '-') return;
        const left = withoutParentheses(node.childForFieldName('left'));
        const right = withoutParentheses(node.childForFieldName('right'));
        if (!left || !right) return;
        for (const [dropped, other] of [
          [left, right],
          [right, left],
        ]) {
          if (dropped.type !== 'call' || other.type !== 'identifier') continue;
          const args = callArguments(dropped);
          const input = args[0];
          if (input?.type !== 'identifier' || input.text === other.text || !isDropout(context, dropped)) continue;
          let fn: Node | null = node.parent;
          while (fn && fn.type !== 'function_definition') fn = fn.parent;
          if (!fn) continue;
          const related = derivation(fn, input.text, other.text, node.startIndex);
          if (!related) continue;
          context.report({
            node,
            messageId: 'mismatch',
            data: {
              difference: `${left.text} - ${right.text}`,
              evaluated: dropped === left ? `${input.text} - ${other.text}` : `${other.text} - ${input.text}`,
              other: other.text,
              input: input.text,
              derived: related.derived,
              source: related.source,
              line: lineOf(related.assignment),
            },
            fix: {
              applicability: 'unsafe',
              title: `Subtract \`${input.text}\`, the dropout's input`,
              edits: [context.edit(other, input.text)],
            },
          });
          return;
        }
      },
    };
  },
};
