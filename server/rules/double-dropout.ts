import { deleteArgument, deleteStatement, unwrapCall } from '../engine/edits';
import type { ModuleClass } from '../engine/classes';
import { doubleDropouts } from '../engine/flow/findings';
import { compoundRate } from '../engine/flow/rates';
import type { DoubleDropout } from '../engine/flow/types';
import { lineOf, type Rule, type RuleContext } from '../engine/rule';
import type { Node } from '../engine/parser';
import type { TextEdit } from '../engine/types';

export const doubleDropout: Rule = {
  meta: {
    code: 'RG010',
    name: 'double-dropout',
    summary: 'The same value goes through two dropouts in a row, so it is dropped at a higher rate than either says.',
    explanation: [
      'Two dropouts with nothing but element-wise, shape-preserving steps between them (a reshape, an activation, ' +
        'a multiplication by a number) drop each element twice: it survives with probability (1 - p₁)(1 - p₂), so ' +
        'the effective rate is 1 - (1 - p)² when both use p — 19 % instead of 10 %. It usually happens across a ' +
        'module boundary: the sublayer already ends with `return self.resid_dropout(self.c_proj(y))` and the block ' +
        'wraps its result in another dropout.',
      '',
      'The rule follows values through assignments, branches, loops (`for i, (attn, ff) in ' +
        'enumerate(self.layers)`, `zip(…)`) and helper methods, and into the classes of the same file (their ' +
        '`forward` is summarized), reached directly or through attribute chains (`self.transformer.blocks[-1]`). A ' +
        'constructor chosen at run time (`FeedForward(cfg) if not cfg.use_moe else MOEFeedForward(cfg)`, a class ' +
        'in a local name, a `functools.partial` of it) counts only when every choice ends with a dropout. It is ' +
        'silent when a mixing step stands between the two dropouts: a linear layer, a normalization, a ' +
        'concatenation or a sum with other values. Classes from other files of the workspace are read when the ' +
        'workspace index holds them; a module passed in as a constructor argument (an `embeddings` module built ' +
        'elsewhere) is unknown and never produces a finding. A submodule handed to a helper method ' +
        '(`self.sublayer_connection(x, self.norm2, self.feed_forward)`) is followed into it; the finding then has no ' +
        'fix, since the helper drops every module handed to it.',
      '',
      "When `__init__` builds a submodule differently on different paths of an `if` (SpeechBrain's `pos_ffn`: a " +
        'library feed-forward, or `nn.Sequential(…, nn.Dropout(dropout))` when `ffn_type == "1dcnn"`) and ' +
        '`forward` drops its output again, the finding is on the dropout that ends that construction: the outer ' +
        'dropout is right for the other paths. It is silent when the outer dropout sits under a condition that ' +
        'reads the same setting, since the paths may be paired.',
      '',
      'The fix (unsafe: it changes the effective rate back to the configured one) removes the outer dropout, and ' +
        'its `__init__` assignment when nothing else uses it; for a path of `__init__`, it removes the dropout that ' +
        'ends that `nn.Sequential`.',
    ].join('\n'),
    wrong: [
      'class Block(nn.Module):',
      '    def __init__(self, dim, p=0.1):',
      '        super().__init__()',
      '        self.proj = nn.Linear(dim, dim)',
      '        self.drop1 = nn.Dropout(p)',
      '        self.drop2 = nn.Dropout(p)',
      '',
      '    def forward(self, x):',
      '        return self.drop2(F.gelu(self.drop1(self.proj(x))))',
    ].join('\n'),
    right: [
      'class Block(nn.Module):',
      '    def __init__(self, dim, p=0.1):',
      '        super().__init__()',
      '        self.proj = nn.Linear(dim, dim)',
      '        self.drop1 = nn.Dropout(p)',
      '',
      '    def forward(self, x):',
      '        return F.gelu(self.drop1(self.proj(x)))',
    ].join('\n'),
    defaultSeverity: 'warning',
    fix: 'unsafe',
    triggers: /drop/i,
    messages: {
      twice:
        '`{outer}` drops a value that `{inner}` (line {line}) has just dropped, with nothing mixing in between: ' +
        'every element is dropped twice, an effective rate of {effective}.',
      sublayer:
        '`{outer}` drops the output of `{sublayer}`, which already ends with `{inner}` (line {line} in `{owner}`): ' +
        'every element is dropped twice, an effective rate of {effective}.',
      branch:
        'When `__init__` builds `{sublayer}` this way, its output ends with `{inner}`, and `{outer}` (line {line}) ' +
        'drops it again: every element is dropped twice, an effective rate of {effective}.',
    },
  },

  create(context) {
    return {
      moduleClass(cls) {
        for (const d of doubleDropouts(context.model.forward, cls)) report(context, cls, d);
      },
    };
  },
};

function report(context: RuleContext, cls: ModuleClass, d: DoubleDropout): void {
  const effective = compoundRate(d.inner.rate, d.outer.rate);
  if (d.branch && d.inner.inner?.node) {
    reportBranch(context, d, d.inner.inner.node, effective);
    return;
  }
  const message = `first dropout: \`${d.inner.inner?.label ?? d.inner.label}\``;
  // The sublayer may live in another file of the workspace: then the first dropout is shown there.
  const external = d.inner.inner && !d.inner.inner.node ? d.inner.inner.external : undefined;
  const innerNode = d.inner.inner?.node ?? d.inner.call;
  const line = lineOf(external ? external.range : innerNode);
  const related = [
    external
      ? { range: external.range, file: external.file, message }
      : { range: context.edit(innerNode, '').range, message },
  ];
  const fix = removeOuter(context, cls, d);
  if (d.inner.inner) {
    context.report({
      node: d.outer.call,
      messageId: 'sublayer',
      data: {
        outer: d.outer.label,
        sublayer: d.inner.label,
        inner: d.inner.inner.label,
        owner: d.inner.inner.owner,
        line,
        effective,
      },
      related,
      fix,
    });
  } else {
    context.report({
      node: d.outer.call,
      messageId: 'twice',
      data: { outer: d.outer.label, inner: d.inner.label, line, effective },
      related,
      fix,
    });
  }
}

function removeOuter(context: RuleContext, cls: ModuleClass, d: DoubleDropout) {
  // The outer dropout is in a helper that other modules are handed to as well: removing it would undrop them.
  if (d.inner.handedIn) return null;
  const unwrap = unwrapCall(context.file, d.outer.call);
  if (!unwrap) return null;
  const edits: TextEdit[] = [unwrap];
  // `self.drop2(…)` was the only use of `self.drop2`: its assignment goes too, or RG007 would take its place.
  const fn = d.outer.call.childForFieldName('function');
  const name = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : undefined;
  if (name && fn?.childForFieldName('object')?.text === context.moduleMethod(d.outer.call)?.selfName) {
    const subs = cls.members.submodules.filter((s) => s.name === name);
    const uses = (cls.members.selfReferences.get(name) ?? []).filter((r) => !subs.some((s) => s.target.id === r.id));
    if (
      subs.length === 1 &&
      uses.length === 1 &&
      subs[0].regularizers.length > 0 &&
      !cls.members.dynamicNames.has(name) &&
      !cls.members.dynamicNames.has('*') &&
      context.model.subclassesOf(cls.name).length === 0
    ) {
      const removal = deleteStatement(context.file, subs[0].statement);
      if (removal) edits.push(removal);
    }
  }
  return { applicability: 'unsafe' as const, title: `Remove the second dropout \`${d.outer.label}\``, edits };
}

/**
 * The dropout ends the submodule only on this path of `__init__`; the outer dropout is right for the others, so the
 * finding and its fix (unsafe: the rate changes) are this construction's: its last element goes.
 */
function reportBranch(context: RuleContext, d: DoubleDropout, inner: Node, effective: string): void {
  const list = inner.parent?.parent;
  const sequential =
    list?.type === 'call' &&
    context.model.imports.resolve(list.childForFieldName('function')) === 'torch.nn.Sequential';
  const removal = sequential ? deleteArgument(context.file, inner) : null;
  context.report({
    node: inner,
    messageId: 'branch',
    data: {
      outer: d.outer.label,
      sublayer: d.inner.label,
      inner: d.inner.inner!.label,
      line: lineOf(d.outer.call),
      effective,
    },
    related: [{ range: context.edit(d.outer.call, '').range, message: `second dropout: \`${d.outer.label}\`` }],
    fix: removal && {
      applicability: 'unsafe',
      title: `Remove \`${d.inner.inner!.label}\` from the end of \`${d.inner.label}\``,
      edits: [removal],
    },
  });
}
