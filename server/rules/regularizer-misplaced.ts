import { regularizer } from '../engine/catalog';
import type { ModuleClass } from '../engine/classes';
import { callsOnFlatFeatures } from '../engine/flat-features';
import type { Node } from '../engine/parser';
import { firstParameter } from '../engine/classes';
import { lineOf, type Rule, type RuleContext } from '../engine/rule';
import { atomText, findArgument, numericLiteral, walk, withoutPlacement, CALL_NODES } from '../engine/syntax';
import { lastLayerGuards } from './last-layer-guard';
import { dropoutsOnLogits, dropPathsWithoutShortcut } from './misplaced-outputs';

/** `nn.LSTM(input_size, hidden_size, num_layers, bias, batch_first, dropout, …)`; `nn.RNN` by keyword only. */
const RECURRENT = new Map([
  ['torch.nn.LSTM', 5],
  ['torch.nn.GRU', 5],
  ['torch.nn.RNN', -1],
]);

export const regularizerMisplaced: Rule = {
  meta: {
    code: 'RG014',
    name: 'regularizer-misplaced',
    summary:
      'A regularizer sits where it cannot do what it says: a layer it never reaches, or a tensor of the wrong shape.',
    explanation: [
      'Placements that run without error and regularize something other than what the code says:',
      '',
      '- **Inter-layer dropout that also drops the last layer.** A hand-written stack of recurrent cells drops ' +
        'between layers under `if i != self.num_layers:` inside `for i in range(self.num_layers)`. `i` stops at ' +
        '`num_layers - 1`, so the guard is always true and the last layer’s output is dropped too, usually on top ' +
        'of the dropout the caller applies to the stack’s output. The rule reads `range(n)` and ' +
        '`enumerate(self.layers)` loops, and takes `self.num_layers` as the length of `self.layers` when ' +
        '`__init__` builds the one from the other. The fix (unsafe: it changes what is dropped) compares with ' +
        '`n - 1`.',
      '- **Recurrent dropout on a single layer.** `nn.LSTM`, `nn.GRU` and `nn.RNN` apply `dropout` between ' +
        'stacked layers only: with `num_layers=1` (the default) it never runs, and PyTorch only warns. The rule ' +
        'fires when `num_layers` is absent or the literal 1 and `dropout` is anything but the literal 0.',
      '- **Channel dropout on flat features.** `nn.Dropout2d` / `Dropout3d` drop whole feature maps of an ' +
        '`(N, C, H, W)` input. Given a flat `(N, F)` batch (after `torch.flatten(x, 1)`, `x.view(x.size(0), -1)`, ' +
        'the last step of a sequence, `out[:, -1, :]`, a mean over one dimension, or a linear layer on one) there ' +
        'are no maps: PyTorch drops single values under a misleading name, warns ' +
        'that this input will become an error, and asks for `nn.Dropout`. `nn.Dropout1d` is worse: it reads ' +
        '`(N, F)` as one unbatched `(C, L)` sample and drops whole rows of the batch. The rule reads `forward` ' +
        'statement by statement, following the rank of each name (a reshape, a recurrent layer, an index by a ' +
        'number); a value it cannot follow is never called flat. The fix replaces the class (or ' +
        '`F.dropout2d`) with plain dropout when every use is on flat features: safe for `Dropout2d` and ' +
        '`Dropout3d` (PyTorch’s own advice, the same behaviour), unsafe for `Dropout1d`.',
      '- **Drop path that replaces the stream.** Drop path zeroes whole samples; on a residual branch ' +
        '(`x = x + drop_path(branch(x))`) a dropped sample keeps its shortcut. Written `x = ' +
        'self.drop_path(self.mlp(x))`, the dropped sample loses everything before the block. The rule follows ' +
        'the result through a scale (`gamma * …`) and the name it is bound to, and is silent when a later use ' +
        'adds it (`+`, `+=`, `torch.add`), returns it, or, for a new name, hands it to code it does not read.',
      '- **Dropout on logits.** A dropout whose input is the output of an `nn.Linear` sized by `num_classes`, ' +
        '`num_labels` or `vocab_size` drops class scores, not features: the loss sees wrong predictions. It ' +
        'belongs before the classifier.',
    ].join('\n'),
    wrong: [
      'class Net(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.fc1 = nn.Linear(9216, 128)',
      '        self.dropout = nn.Dropout2d(0.5)',
      '        self.fc2 = nn.Linear(128, 10)',
      '',
      '    def forward(self, x):',
      '        x = torch.flatten(x, 1)',
      '        x = self.dropout(F.relu(self.fc1(x)))',
      '        return self.fc2(x)',
    ].join('\n'),
    right: [
      'class Net(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.fc1 = nn.Linear(9216, 128)',
      '        self.dropout = nn.Dropout(0.5)',
      '        self.fc2 = nn.Linear(128, 10)',
      '',
      '    def forward(self, x):',
      '        x = torch.flatten(x, 1)',
      '        x = self.dropout(F.relu(self.fc1(x)))',
      '        return self.fc2(x)',
    ].join('\n'),
    defaultSeverity: 'warning',
    fix: 'safe',
    triggers: /drop/i,
    messages: {
      lastLayer:
        '`{condition}` is always true inside `{loop}`: `{index}` stops at `{bound} - 1`, so `{dropout}` (line ' +
        '{line}) also drops the last layer’s output, not only what passes between layers.',
      singleLayer:
        '`{callee}` applies `dropout` only between stacked layers, and this one has a single layer ({layers}): ' +
        'the dropout never runs. Use `num_layers` > 1 or a dropout on the output.',
      channelOnFlat:
        '`{callee}` drops whole channels of an (N, C, H, W) input, but line {line} applies it to flat (N, F) ' +
        'features: it drops single values under a misleading name, and PyTorch warns that such an input will ' +
        'become an error. Use plain dropout.',
      noShortcut:
        '`{callee}` zeroes whole samples, and its result replaces the value instead of joining a shortcut: for a ' +
        'dropped sample the block outputs zeros and everything before it is lost. Drop path belongs on a residual ' +
        'branch: `x = x + {callee}(branch(x))`.',
      logits:
        '`{callee}` drops the logits of `{layer}` (line {line}): zeroed class scores are not noise on a feature but ' +
        'wrong predictions, and the loss is computed on them. Drop the features before the classifier instead.',
      rowsOnFlat:
        '`{callee}` reads a flat (N, F) input as one unbatched (C, L) sample, and line {line} applies it to flat ' +
        'features: it drops whole rows of the batch, every feature of a sample at once. Use plain dropout.',
    },
  },

  create(context) {
    return {
      call(node) {
        checkRecurrentDropout(context, node);
      },
      moduleClass(cls) {
        // Each check reads a regularizer of the class; the text says which can apply before any tree is walked.
        if (!/drop|stochastic/i.test(cls.text)) return;
        const channels = /[Dd]ropout[123]d/.test(cls.text);
        const dropPaths = /drop_?path|stochastic_?depth/i.test(cls.text);
        const heads = LOGIT_SIZES.test(cls.text);
        for (const [name, method] of cls.members.methods) {
          const selfName = firstParameter(method);
          if (!selfName || name === '__init__') continue;
          if (channels) checkChannelDropout(context, cls, method, selfName);
          const paths = dropPaths ? dropPathsWithoutShortcut(context.model, cls, method, selfName) : [];
          for (const call of paths)
            context.report({ node: call, messageId: 'noShortcut', data: { callee: call.text.split('(')[0] } });
          const logits = heads ? dropoutsOnLogits(context.model, cls, method, selfName) : [];
          for (const { dropout, layer } of logits)
            context.report({
              node: dropout,
              messageId: 'logits',
              data: { callee: dropout.text.split('(')[0], layer: layer.text, line: lineOf(layer) },
            });
          const loops = /\bfor\b[^\n]*\b(range|enumerate)\(/.test(method.text);
          for (const guard of loops ? lastLayerGuards(context.model, cls, method, selfName) : [])
            context.report({
              node: guard.condition,
              messageId: 'lastLayer',
              data: {
                condition: guard.condition.text,
                loop: guard.loopHeader,
                index: guard.index,
                bound: guard.bound.text,
                dropout: guard.dropout.text.split('(')[0],
                line: lineOf(guard.dropout),
              },
              fix: {
                applicability: 'unsafe',
                title: `Compare with \`${atomText(guard.bound)} - 1\``,
                edits: [context.edit(guard.bound, `${atomText(guard.bound)} - 1`)],
              },
            });
        }
      },
    };
  },
};

function checkRecurrentDropout(context: RuleContext, call: Node): void {
  const callee = context.model.imports.resolve(call.childForFieldName('function'));
  const dropoutPosition = callee ? RECURRENT.get(callee) : undefined;
  if (dropoutPosition === undefined) return;
  const dropout = findArgument(call, { name: 'dropout', position: dropoutPosition });
  if (dropout === 'absent' || dropout === 'unknown' || numericLiteral(dropout.node) === 0) return;
  const layers = findArgument(call, { name: 'num_layers', position: 2 });
  if (layers === 'unknown') return;
  if (layers !== 'absent' && numericLiteral(layers.node) !== 1) return;
  context.report({
    node: dropout.keyword ?? dropout.node,
    messageId: 'singleLayer',
    data: {
      callee: call.childForFieldName('function')!.text,
      layers: layers === 'absent' ? '`num_layers` defaults to 1' : `\`${layers.keyword?.text ?? layers.node.text}\``,
    },
  });
}

function checkChannelDropout(context: RuleContext, cls: ModuleClass, method: Node, selfName: string): void {
  const flat = callsOnFlatFeatures(context.model, cls, method, selfName);
  if (flat.size === 0) return;
  const bySubmodule = new Map<string, { flat: Node[]; other: number }>();
  walk(
    method,
    (call) => {
      const fn = call.childForFieldName('function');
      if (!fn) return;
      const spec = regularizer(context.model.imports.resolve(fn));
      if (spec?.form === 'function' && /\.dropout[123]d$/.test(spec.qualifiedName)) {
        if (flat.has(call.id)) reportFunctional(context, call, fn, spec.qualifiedName.endsWith('1d'));
        return;
      }
      if (fn.type !== 'attribute' || fn.childForFieldName('object')?.text !== selfName) return;
      const name = fn.childForFieldName('attribute')!.text;
      const uses = bySubmodule.get(name) ?? { flat: [], other: 0 };
      bySubmodule.set(name, uses);
      if (flat.has(call.id)) uses.flat.push(call);
      else uses.other++;
    },
    CALL_NODES,
  );
  for (const [name, uses] of bySubmodule) {
    if (uses.flat.length === 0) continue;
    const subs = cls.members.submodules.filter((s) => s.name === name);
    if (subs.length !== 1) continue;
    const value = withoutPlacement(subs[0].value);
    const ctor = value.type === 'call' ? value.childForFieldName('function') : null;
    const qualified = context.model.imports.resolve(ctor);
    const m = qualified ? /^torch\.nn\.Dropout([123])d$/.exec(qualified) : null;
    if (!ctor || !m) continue;
    // Every other use of the submodule (in other methods too) must be one of these flat calls for the fix.
    const references = (cls.members.selfReferences.get(name) ?? []).length - 1;
    const onlyFlat = uses.other === 0 && references === uses.flat.length;
    const rows = m[1] === '1';
    context.report({
      node: value,
      messageId: rows ? 'rowsOnFlat' : 'channelOnFlat',
      data: { callee: ctor.text, line: lineOf(uses.flat[0]) },
      fix: onlyFlat ? plainDropout(context, ctor, rows) : null,
    });
  }
}

function reportFunctional(context: RuleContext, call: Node, fn: Node, rows: boolean): void {
  context.report({
    node: call,
    messageId: rows ? 'rowsOnFlat' : 'channelOnFlat',
    data: { callee: fn.text, line: lineOf(call) },
    fix: plainDropout(context, fn, rows),
  });
}

/** `nn.Dropout2d` → `nn.Dropout`, `F.dropout2d` → `F.dropout`: only where the name is spelled through its module. */
function plainDropout(context: RuleContext, callee: Node, rows: boolean) {
  if (callee.type !== 'attribute') return null;
  const attr = callee.childForFieldName('attribute')!;
  const plain = attr.text.replace(/[123]d$/, '');
  return {
    applicability: rows ? ('unsafe' as const) : ('safe' as const),
    title: `Use \`${plain}\``,
    edits: [context.edit(attr, plain)],
  };
}

const LOGIT_SIZES = /num_classes|n_classes|nclass|num_class|num_labels|n_labels|vocab_size|n_vocab|ntoken/;
