import { libraryLayer } from '../engine/library';
import { appendKeywordArgument, insertLineAfter, indentOf } from '../engine/edits';
import type { ModuleClass } from '../engine/classes';
import { latentRate, type UndroppedResidual, undroppedResiduals } from '../engine/flow/findings';
import { rateOf } from '../engine/flow/rates';
import { methodOf } from '../engine/flow/methods';
import { roleFromName } from '../engine/flow/names';
import type { Node } from '../engine/parser';
import { lineOf, type Rule, type RuleContext } from '../engine/rule';
import { CALL_NODES, callArguments, findArgument, numericLiteral, parameterList, walk } from '../engine/syntax';
import type { Parameter } from '../engine/catalog';

export const missingSublayerDropout: Rule = {
  meta: {
    code: 'RG002',
    name: 'missing-sublayer-dropout',
    summary:
      'An attention or feed-forward branch joins the residual stream without dropout while its block drops a sibling ' +
      'branch, or names a residual dropout rate this branch never uses.',
    explanation: [
      "In a Transformer block, each sublayer's output is dropped before it is added back to the residual stream " +
        "(`x = x + dropout(attn(norm(x)))`: PyTorch's `dropout1`/`dropout2`, x-transformers' " +
        '`attn_sublayer_dropout`/`ff_sublayer_dropout`, the "residual dropout" of the original Transformer). ' +
        'The rule reports the branch the author can see was left out: in one block, a sibling branch is dropped ' +
        'before its add and this one is not, or the block takes a residual rate (`resid_dropout`, `resid_pdrop`, ' +
        '`proj_drop`, `config.hidden_dropout_prob`) that this branch never uses.',
      '',
      "The evidence is the model's own code, never its text: a dropout module or `F.dropout` call applied to a " +
        "sibling branch, a dropout at the end of a sublayer's `forward`, a rate parameter or config field read by " +
        "the block's `__init__`. A docstring, a comment, another model's config dict, an `attention_dropout=0.0` " +
        "default or a flash-attention helper's `dropout_p=0.0` configure nothing.",
      '',
      'The rule follows `forward` (assignments, `+=`, post-norm `self.norm(x + self.attn(x))`, a norm after the ' +
        'sublayer, `return x + …`, the outputs of `nn.MultiheadAttention`, helper methods, loops such as `for ' +
        'attn, ff in self.layers`, `for i, (attn, ff) in enumerate(self.layers)` and `for attn, ff, ctx in ' +
        'zip(self.attns, self.ffs, contexts)`, attribute chains such as `self.encoder.layers[i].attn`) and knows ' +
        'what each sublayer returns: classes of the file are summarized from their own ' +
        "`forward` (nanoGPT's MLP ends with `self.dropout(…)`), `nn.Sequential(…, nn.Dropout(p))` and functions " +
        'returning one count as dropped, wrappers such as `PreNorm(dim, fn)` hand through to `fn`, and a small table ' +
        'covers library layers (timm `Mlp(drop=…)` and `Attention(proj_drop=…)`, torchvision `MLP(dropout=…)`; ' +
        '`nn.MultiheadAttention` drops attention weights only). A constructor chosen at run time (`A(cfg) if ' +
        'cfg.use_moe else B(cfg)`, a class held in a local name, a `functools.partial` of it) is known when both ' +
        'choices agree; a `**factory_kwargs` or `**dd` splat of a dict built in `__init__` is read for the rate. ' +
        'A residual add joins a branch to the stream its sublayer read.',
      '',
      'It stays silent when every branch of the block is undropped (a design: many models use no residual ' +
        'dropout), when the branch is wrapped in drop path or a layer scale, when a sublayer is unknown (a class it ' +
        'cannot summarize), and on adds that are not residual branches: a tuple concatenation `(x,) + outputs[1:]`, ' +
        "a position bias added to attention logits (Swin-V2's `cpb_mlp`), a mask added to scores, image features " +
        'spliced into token embeddings, a module that returns its input plus its own branches (the stream, not a ' +
        'branch).',
      '',
      "When the rate that would drop the branch is 0 by default (a parameter's `dropout=0.0`) and no keyword " +
        'argument, assignment or dict entry of the file sets a rate of that name above 0, the mistake is latent ' +
        'until the rate is raised: the finding says so and is reported as information.',
      '',
      'It also fires on a constructor that leaves out the parameter that drops its output while the block passes ' +
        'its rate to the other branch (`Mlp(…, drop=drop)` next to `Attention(dim)`).',
      '',
      "The fix (unsafe) adds `self.<branch>_dropout = nn.Dropout(<the block's rate>)` next to the sublayer in " +
        '`__init__` and wraps the branch expression the finding names, or passes the rate to the constructor.',
    ].join('\n'),
    wrong: [
      'class Block(nn.Module):',
      '    def __init__(self, dim, heads, dropout=0.1):',
      '        super().__init__()',
      '        self.norm1 = nn.LayerNorm(dim)',
      '        self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)',
      '        self.norm2 = nn.LayerNorm(dim)',
      '        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))',
      '        self.mlp_dropout = nn.Dropout(dropout)',
      '',
      '    def forward(self, x):',
      '        h = self.norm1(x)',
      '        out, _ = self.attn(h, h, h)',
      '        x = x + out',
      '        return x + self.mlp_dropout(self.mlp(self.norm2(x)))',
    ].join('\n'),
    right: [
      'class Block(nn.Module):',
      '    def __init__(self, dim, heads, dropout=0.1):',
      '        super().__init__()',
      '        self.norm1 = nn.LayerNorm(dim)',
      '        self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)',
      '        self.attn_dropout = nn.Dropout(dropout)',
      '        self.norm2 = nn.LayerNorm(dim)',
      '        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))',
      '        self.mlp_dropout = nn.Dropout(dropout)',
      '',
      '    def forward(self, x):',
      '        h = self.norm1(x)',
      '        out, _ = self.attn(h, h, h)',
      '        x = x + self.attn_dropout(out)',
      '        return x + self.mlp_dropout(self.mlp(self.norm2(x)))',
    ].join('\n'),
    defaultSeverity: 'warning',
    fix: 'unsafe',
    triggers: /drop/i,
    messages: {
      sibling:
        'The output of `{sublayer}` ({role}) joins the residual stream at line {add} without dropout, while its ' +
        'sibling branch `{sibling}` is dropped before its add (by {drop}, line {dropLine}). Drop this branch the ' +
        'same way.',
      siblingLatent:
        'The output of `{sublayer}` ({role}) joins the residual stream at line {add} without dropout, while its ' +
        'sibling branch `{sibling}` is dropped before its add (by {drop}, line {dropLine}). Latent: `{rate}` is 0 ' +
        'by default and nothing in this file raises it; the branch goes unregularized once it is raised.',
      named:
        'The output of `{sublayer}` ({role}) joins the residual stream at line {add} without dropout, although ' +
        'the block names the residual dropout rate `{rate}` (line {rateLine}) and this branch never uses it.',
      namedLatent:
        'The output of `{sublayer}` ({role}) joins the residual stream at line {add} without dropout, although ' +
        'the block names the residual dropout rate `{rate}` (line {rateLine}) and this branch never uses it. ' +
        'Latent: `{rate}` is 0 by default and nothing in this file raises it.',
      constructor:
        '`{callee}(…)` leaves `{param}` out, so the {role} output is not dropped, while this block passes `{rate}` ' +
        'to `{other}` at line {line}. Pass `{param}={rate}`.',
      constructorLatent:
        '`{callee}(…)` leaves `{param}` out, so the {role} output is not dropped, while this block passes `{rate}` ' +
        'to `{other}` at line {line}. Latent: `{rate}` is 0 by default and nothing in this file raises it. Pass ' +
        '`{param}={rate}`.',
    },
  },

  create(context) {
    return {
      moduleClass(cls) {
        if (!cls.isModule) return;
        const flagged = constructorFindings(context, cls);
        const byAttribute = new Map<string, UndroppedResidual[]>();
        const residuals = undroppedResiduals(context.model.forward, cls, flagged);
        for (const r of residuals) {
          const key = r.sublayer.attribute ?? r.sublayer.label;
          byAttribute.set(key, [...(byAttribute.get(key) ?? []), r]);
        }
        for (const r of residuals) {
          // One new dropout per sublayer: when it is added in two places, neither fix may add it alone.
          const single = byAttribute.get(r.sublayer.attribute ?? r.sublayer.label)!.length === 1;
          const role = r.sublayer.role === 'attention' ? 'attention' : 'feed-forward';
          const sibling = r.sibling;
          const rate = sibling ? sibling.drop.rate?.text : r.named?.rate.text;
          const latent = r.latent ? 'Latent' : '';
          context.report({
            node: r.branch,
            messageId: sibling ? `sibling${latent}` : `named${latent}`,
            data: sibling
              ? {
                  sublayer: r.sublayer.label,
                  role,
                  add: lineOf(r.add),
                  sibling: sibling.drop.of?.label ?? (sibling.drop.inner ? sibling.drop.label : sibling.branch.text),
                  drop: sibling.drop.inner
                    ? `\`${sibling.drop.inner.label}\` in \`${sibling.drop.inner.owner}\``
                    : `\`${sibling.drop.label}\``,
                  dropLine: lineOf(sibling.drop.inner?.node ?? sibling.drop.call),
                  rate: rate ?? 'p',
                }
              : {
                  sublayer: r.sublayer.label,
                  role,
                  add: lineOf(r.add),
                  rate: r.named!.text,
                  rateLine: lineOf(r.named!.node),
                },
            severity: r.latent ? 'info' : undefined,
            related: [
              { range: context.edit(r.add, '').range, message: 'residual add' },
              sibling
                ? {
                    range: context.edit(sibling.drop.inner?.node ?? sibling.drop.call, '').range,
                    message: "the sibling branch's dropout",
                  }
                : { range: context.edit(r.named!.node, '').range, message: 'the residual dropout rate' },
            ],
            fix: single ? wrapBranch(context, cls, r) : null,
          });
        }
      },
    };
  },
};

const RATE_NAMES = [
  'dropout',
  'drop',
  'drop_rate',
  'dropout_rate',
  'dropout_prob',
  'p_drop',
  'pdrop',
  'hidden_dropout\\w*',
];
const RATE_PARAMETER = new RegExp(
  `^(${[...RATE_NAMES, 'resid_pdrop', 'resid_dropout', 'proj_drop', 'drop_prob', 'p'].join('|')})$`,
);
const CONFIG_FIELDS = [
  'hidden_dropout_prob',
  'resid_pdrop',
  'hidden_dropout',
  'dropout_rate',
  'drop_rate',
  'dropout_prob',
];
const CONFIG_RATE = new RegExp(
  `\\b(?:config|cfg|args|conf|hparams|params)\\.(?:${[...CONFIG_FIELDS, 'dropout', 'resid_dropout'].join('|')})\\b`,
);

/** The expression the block uses for its dropout rate: a dropout it builds, a rate parameter, or a config field. */
function blockRate(context: RuleContext, cls: ModuleClass): string | null {
  for (const sub of cls.members.submodules) {
    const spec = sub.regularizers.find((r) => r.kind === 'dropout');
    if (!spec || sub.value.type !== 'call') continue;
    const arg = findArgument(sub.value, spec.rate);
    if (typeof arg === 'object') return arg.node.text;
  }
  const init = methodOf(context.model, cls, '__init__');
  if (!init) return null;
  const params = parameterList(init).slice(1);
  const param = params.find((p) => RATE_PARAMETER.test(p.name));
  if (param) return param.name;
  const configured = CONFIG_RATE.exec(init.text)?.[0];
  if (configured) return configured;
  // nanoGPT: the block itself never names the rate, but its sublayers read it from the same `config` it receives.
  for (const node of context.model.forward.dependencies(cls)) {
    const other = context.model.classes.get(node.childForFieldName('name')?.text ?? '');
    for (const sub of other?.isModule ? other.members.submodules : []) {
      const spec = sub.regularizers.find((r) => r.kind === 'dropout');
      const arg = spec && sub.value.type === 'call' ? findArgument(sub.value, spec.rate) : 'absent';
      if (typeof arg !== 'object' || arg.node.type !== 'attribute') continue;
      const object = arg.node.childForFieldName('object');
      if (object?.type === 'identifier' && params.some((p) => p.name === object.text)) return arg.node.text;
    }
  }
  return null;
}

/** Is the rate a name the class's `__init__` can spell: a literal, one of its parameters, or `self.…`? */
function within(cls: ModuleClass, rate: string): boolean {
  if (/^[\d.eE-]+$/.test(rate)) return true;
  const init = cls.members.methods.get('__init__');
  const root = /^\w+/.exec(rate)?.[0];
  return !!init && !!root && root !== 'self' && parameterList(init).some((p) => p.name === root);
}

function dropoutConstructor(context: RuleContext): string | null {
  return context.model.imports.aliasFor('torch.nn.Dropout');
}

function wrapBranch(context: RuleContext, cls: ModuleClass, r: UndroppedResidual) {
  const init = cls.members.methods.get('__init__');
  const initBody = init?.childForFieldName('body');
  const initSelf = init ? parameterList(init)[0]?.name : undefined;
  // Next to the sublayer's assignment; for a sublayer bound in a loop (`for attn, ff in self.layers`), at the end of
  // `__init__`.
  const sub = r.sublayer.attribute ? cls.members.submodules.find((s) => s.name === r.sublayer.attribute) : undefined;
  const anchor = sub
    ? sub.statement.parent?.type === 'block'
      ? sub.statement
      : null
    : (initBody?.lastNamedChild ?? null);
  const stem = r.sublayer.attribute ?? (/^\w+$/.test(r.sublayer.label) ? r.sublayer.label : null);
  // The rate the block names for this branch, else the rate its dropped sibling uses when this class spells it.
  const siblingRate = r.sibling?.drop.inner ? undefined : r.sibling?.drop.rate?.text;
  // Last, the value the sibling's dropout has here (`Attention(dim)` leaves `proj_drop=0.1` at its default).
  const siblingValue = r.sibling?.drop.rate?.value;
  const rate =
    r.named?.text ??
    (siblingRate && within(cls, siblingRate) ? siblingRate : null) ??
    blockRate(context, cls) ??
    (siblingValue !== undefined && siblingValue > 0 ? String(siblingValue) : null);
  const dropout = dropoutConstructor(context);
  const selfName = context.moduleMethod(r.add)?.selfName;
  if (
    !anchor ||
    !stem ||
    !initSelf ||
    !rate ||
    !dropout ||
    !selfName ||
    (sub && sub.statement.parent?.parent?.id !== init?.id)
  )
    return null;
  const name = [`${stem}_dropout`, `${stem}_out_dropout`].find((n) => !cls.members.selfReferences.has(n));
  if (!name) return null;
  const indent = indentOf(context.file, sub ? sub.statement : initBody!.firstNamedChild!);
  return {
    applicability: 'unsafe' as const,
    title:
      `Add \`${selfName}.${name}\` and drop the ` +
      `${r.sublayer.role === 'attention' ? 'attention' : 'feed-forward'} branch`,
    edits: [
      insertLineAfter(context.file, anchor, `${initSelf}.${name} = ${dropout}(${rate})`, indent),
      context.edit(r.branch, `${selfName}.${name}(${r.branch.text})`),
    ],
  };
}

interface RegularizedConstructor {
  call: Node;
  callee: string;
  role: 'attention' | 'feedforward';
  param: Parameter;
}

/**
 * `Attention(dim)` next to `Mlp(…, drop=drop)`: the block threads its rate to one branch and leaves the parameter
 * that drops the other branch's output out. Returns the attributes reported, so their residual adds are not
 * reported a second time.
 */
function constructorFindings(context: RuleContext, cls: ModuleClass): Set<string> {
  const flagged = new Set<string>();
  const init = cls.members.methods.get('__init__');
  if (!init) return flagged;
  const model = context.model;
  const candidates: RegularizedConstructor[] = [];
  const threaded: { callee: string; rate: Node }[] = [];
  walk(
    init,
    (n) => {
      if (n.type !== 'call') return;
      const fn = n.childForFieldName('function');
      if (!fn) return;
      for (const arg of callArguments(n)) {
        const name = arg.type === 'keyword_argument' ? (arg.childForFieldName('name')?.text ?? '') : '';
        const value = arg.childForFieldName('value');
        if (
          /drop/i.test(name) &&
          !/attn_drop|attention_drop/.test(name) &&
          value &&
          numericLiteral(value) === undefined
        )
          threaded.push({ callee: fn.text, rate: value });
      }
      const qualified = model.imports.resolve(fn);
      let param: Parameter | undefined;
      let role: 'attention' | 'feedforward' | undefined;
      const layer = libraryLayer(qualified);
      if (layer?.outputDropout && (layer.role === 'attention' || layer.role === 'feedforward')) {
        param = layer.outputDropout;
        role = layer.role;
      } else {
        // A class of this file, or of another workspace file (`from .attention import Attention`).
        const local = fn.type === 'identifier' && qualified === null ? model.classes.get(fn.text) : undefined;
        const external = qualified !== null ? model.workspace?.definition(qualified) : null;
        const summary = local?.isModule
          ? model.forward.summary(local)
          : external?.kind === 'class' && external.isModule
            ? external.summary
            : undefined;
        const name = local?.name ?? external?.name ?? '';
        const r = summary?.role === 'attention' || summary?.role === 'feedforward' ? summary.role : roleFromName(name);
        if (summary?.outputDropout && r) {
          param = summary.outputDropout;
          role = r;
        }
      }
      if (param && role && findArgument(n, param) === 'absent')
        candidates.push({ call: n, callee: fn.text, role, param });
    },
    CALL_NODES,
  );
  if (candidates.length === 0 || threaded.length === 0) return flagged;
  for (const c of candidates) {
    const other = threaded.find((t) => t.callee !== c.callee);
    if (!other) continue;
    const sub = cls.members.submodules.find(
      (s) => s.value.startIndex <= c.call.startIndex && s.value.endIndex >= c.call.endIndex,
    );
    if (sub) flagged.add(sub.name);
    context.report({
      node: c.call,
      messageId: latentRate(model.forward, rateOf(model, cls, other.rate)) ? 'constructorLatent' : 'constructor',
      data: {
        callee: c.callee,
        param: c.param.name,
        role: c.role === 'attention' ? 'attention' : 'feed-forward',
        rate: other.rate.text,
        other: other.callee,
        line: lineOf(other.rate),
      },
      severity: latentRate(model.forward, rateOf(model, cls, other.rate)) ? 'info' : undefined,
      fix: passRate(context, c, other.rate.text),
    });
  }
  return flagged;
}

function passRate(context: RuleContext, c: RegularizedConstructor, rate: string) {
  const text = `${c.param.name}=${rate}`;
  const edit = appendKeywordArgument(context.file, c.call, text);
  return edit ? { applicability: 'unsafe' as const, title: `Pass \`${text}\``, edits: [edit] } : null;
}
