import { perSampleShape } from '../engine/semantics/fixes';
import type { RegularizerSemantics } from '../engine/semantics/record';
import { within } from '../engine/syntax';
import { regularizerOf } from '../engine/semantics/regularizers';
import { RANDOM_TEXT } from '../engine/semantics/syntax-queries';
import type { Node } from '../engine/parser';
import { lineOf, percent, type Rule, type RuleContext } from '../engine/rule';
import { HAND_WRITTEN_SITES, measuredByRunning } from './profile-figures';

const MESSAGES: Record<string, string> = {
  batch:
    "`{name}` makes one random decision for the whole batch: every sample's branch is dropped or kept " +
    'together. Drop path decides per sample; use the shape `{shape}`.',
  element:
    '`{name}` draws a mask with {what}, which is dropout rather than drop path. Drop path decides once per ' +
    'sample; use the shape `{shape}`.',
  shapeBug:
    '`{call}` builds a tensor holding the values {values}, not a mask of that shape, so the decision is not ' +
    'per sample. Use the shape `{shape}`.',
  conditional:
    '`{name}` decides per sample only when `{condition}`; otherwise it makes {other}. Use the shape `{shape}`, ' +
    'or document the batch mode.',
};

/** Appended when the shape the fix rewrites is written on another line than the mask: the message names it. */
const SHAPE_AT = 'The shape is set at line {line}.';

export const droppathNotPerSample: Rule = {
  meta: {
    code: 'RG003',
    name: 'droppath-not-per-sample',
    summary:
      'A hand-written drop path draws its random decision for the whole batch, or for each element, instead of ' +
      'once per sample.',
    explanation: [
      'Drop path (stochastic depth as timm implements it) drops the residual branch of *each sample* ' +
        'independently: the mask has shape `(batch, 1, 1, …)`, built as `(x.shape[0],) + (1,) * (x.ndim - 1)`. A ' +
        'mask drawn once for the whole batch (`torch.rand(1)`, `random.random()`, a shape of all ones) drops the ' +
        'branch for every sample at once, so the batch statistics jump from step to step and the gradient of a ' +
        "whole step is lost; a mask of the input's full shape is ordinary dropout, not drop path. Nothing crashes " +
        'either way.',
      '',
      'The rule also finds `torch.FloatTensor((B, 1, 1, 1))`: given one tuple, the constructor builds a tensor ' +
        'holding the four values `B, 1, 1, 1`, not a tensor of that shape, and the mask broadcasts over the last ' +
        'dimension.',
      '',
      'Reglens recognizes a drop path by its name (`drop_path`, `DropPath`, `stochastic_depth`, `drop_connect`), ' +
        'or by what it does: a random keep mask of shape `(B, 1, …)`, or a mask drawn once for the whole batch ' +
        '(`torch.rand(1)`, `random.random()`, `torch.bernoulli(torch.tensor(keep))`, a `FloatTensor` of a shape ' +
        'tuple) whose output the file adds to a residual (`x + f(x)`, `x += self.gate(y)`). It derives the ' +
        "mask's shape symbolically, through helper functions and `__init__` attributes. The rule is silent when " +
        'batch mode is deliberate (a `mode == "batch"` branch as in torchvision\'s `stochastic_depth`, or a ' +
        'docstring that says the whole batch is dropped), for a whole-batch mask that no residual receives, and for ' +
        "a mask that varies along one later dimension only (`(1, x.shape[1], 1)`: the batch of Megatron's " +
        '`[s, b, h]` layout, or a channel): which dimension is the batch is not known.',
      '',
      "The fix (unsafe: it changes which samples are dropped) rewrites the mask's shape to `(x.shape[0],) + (1,) * " +
        '(x.ndim - 1)`.',
    ].join('\n'),
    wrong: [
      'def drop_path(x, drop_prob, training=False):',
      '    if drop_prob == 0.0 or not training:',
      '        return x',
      '    keep_prob = 1 - drop_prob',
      '    mask = x.new_empty(1).bernoulli_(keep_prob)',
      '    return x * mask / keep_prob',
    ].join('\n'),
    right: [
      'def drop_path(x, drop_prob, training=False):',
      '    if drop_prob == 0.0 or not training:',
      '        return x',
      '    keep_prob = 1 - drop_prob',
      '    mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep_prob)',
      '    return x * mask / keep_prob',
    ].join('\n'),
    defaultSeverity: 'warning',
    fix: 'unsafe',
    triggers: RANDOM_TEXT,
    messages: {
      ...MESSAGES,
      ...Object.fromEntries(Object.entries(MESSAGES).map(([id, text]) => [`${id}At`, `${text} ${SHAPE_AT}`])),
    },
    profile: {
      sites: HAND_WRITTEN_SITES,
      phrase: (m) => {
        const { result: r, where } = m;
        if (r.implementation) return measuredByRunning(m.implementation.granularity, m);
        if (r.kernel.kind !== 'semantics') return undefined;
        const g = r.kernel.semantics.granularity;
        if (g === 'batch')
          return (
            `Measured in training: one decision per batch, ${r.train.units} decisions for ` +
            `${r.train.units * r.shape[0]} samples; ${percent(r.train.samplesDroppedWhole)} of samples dropped ` +
            `whole (${where}).`
          );
        if ((g === 'element' || g === 'channel') && r.train.samplesDroppedWhole < r.train.droppedFraction / 2) {
          return (
            `Measured in training: ${percent(r.train.droppedFraction)} of values dropped but ` +
            `${percent(r.train.samplesDroppedWhole)} of samples dropped whole (${where}).`
          );
        }
        return undefined;
      },
    },
  },

  create(context) {
    return {
      function_definition(node) {
        const s = regularizerOf(context.model, node);
        if (!s || s.kind !== 'drop-path' || !s.application) return;
        check(context, s);
      },
    };
  },
};

const WHAT = { element: 'one decision per element', channel: 'one decision per sample and channel' } as const;

function check(context: RuleContext, s: RegularizerSemantics): void {
  const { mask } = s;
  const shape = perSampleShape(s.inputSource ?? 'x');
  const fn = s.node;
  const inside = (n: Node | null): n is Node => !!n && within(n, fn);
  const fixWith = (node: Node | null, text: string) =>
    inside(node)
      ? {
          applicability: 'unsafe' as const,
          title: `Draw one decision per sample: \`${shape}\``,
          edits: [context.edit(node, text)],
        }
      : null;
  // The fix rewrites the shape where it is written; a shape set on another line than the mask is named by line.
  const at = (messageId: string, data: Record<string, string>, fixed: Node | null) =>
    fixed && inside(fixed) && (fixed.endIndex <= mask.node.startIndex || fixed.startIndex >= mask.node.endIndex)
      ? { messageId: `${messageId}At`, data: { ...data, line: lineOf(fixed) } }
      : { messageId, data };
  if (mask.shapeBug) {
    const values = mask.shapeNode?.text.replace(/^[([]|[)\]]$/g, '') ?? '';
    context.report({
      node: mask.node,
      ...at('shapeBug', { call: mask.shapeBug, values: `\`${values}\``, shape }, mask.shapeNode),
      fix: fixWith(mask.shapeNode, `*(${shape})`),
    });
    return;
  }
  switch (mask.granularity) {
    case 'batch':
      if (s.deliberateBatch) return;
      context.report({
        node: mask.node,
        ...at('batch', { name: s.name, shape }, mask.shapeNode),
        fix: fixWith(mask.shapeNode, shape),
      });
      return;
    case 'element':
    case 'channel': {
      // `torch.rand_like(x)` has no shape to rewrite: draw `torch.rand(shape, dtype=x.dtype, device=x.device)` instead.
      const callee = mask.node.type === 'call' ? mask.node.childForFieldName('function') : null;
      const like = !mask.shapeNode && callee?.type === 'attribute' && /\.rand_like$/.test(callee.text) && s.inputSource;
      const fix = like
        ? fixWith(
            mask.node,
            `${callee.text.replace(/_like$/, '')}(${shape}, dtype=${s.inputSource}.dtype, ` +
              `device=${s.inputSource}.device)`,
          )
        : fixWith(mask.shapeNode, shape);
      context.report({
        node: mask.node,
        ...at('element', { name: s.name, what: WHAT[mask.granularity], shape }, like ? null : mask.shapeNode),
        fix,
      });
      return;
    }
    case 'conditional': {
      const by = mask.byCondition!;
      if (s.deliberateBatch || (by.then !== 'sample' && by.else !== 'sample')) return;
      const other = by.then === 'sample' ? by.else : by.then;
      if (other === 'unknown') return;
      context.report({
        node: mask.node,
        messageId: 'conditional',
        data: {
          name: s.name,
          condition: by.then === 'sample' ? by.condition : `not (${by.condition})`,
          other: other === 'batch' ? 'one decision for the whole batch' : 'one decision per element',
          shape,
        },
      });
      return;
    }
    default:
      return;
  }
}
