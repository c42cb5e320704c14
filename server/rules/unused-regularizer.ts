import { DROP_PATH_KINDS } from '../engine/catalog';
import { firstParameter, type ModuleClass, type Submodule } from '../engine/classes';
import { type RegularizerModule, regularizerModules } from '../engine/construction-sites';
import { deleteStatement } from '../engine/edits';
import type { Node } from '../engine/parser';
import { readRate } from '../engine/rates';
import { type FixSpec, lineOf, type Rule, type RuleContext } from '../engine/rule';
import { findArgument, walk } from '../engine/syntax';

export const unusedRegularizer: Rule = {
  meta: {
    code: 'RG007',
    name: 'unused-regularizer',
    summary: 'A dropout, drop-path or stochastic-depth submodule is created in `__init__` and never used.',
    explanation: [
      'A regularizer that is assigned to `self` but never referenced again does nothing: the model trains without ' +
        'it while its configuration (and the paper, and the config file) says it is regularized. It usually means ' +
        'the call was lost in a refactor, or that `forward` uses another attribute than the one `__init__` set up.',
      '',
      'The rule reads the `self.<name> = …` assignments of `__init__` whose value builds a regularizer module ' +
        "(`nn.Dropout`, timm's `DropPath`, torchvision's `StochasticDepth`, a container of them, or a regularizer " +
        "class of the project: one whose `forward` draws and applies its own mask, as DINOv2's `DropPath`, or only " +
        "applies a library regularizer to its input, as fairseq's `FairseqDropout`, defined in the file or " +
        'imported from another file of the workspace), then every ' +
        '`self.<name>` in the class and in the classes of the same file it inherits from or that inherit from it. ' +
        'Any reference counts as a use: calling it, passing it to a helper, reading an attribute (`self.drop.p`), ' +
        'using it inside a lambda, a `Sequential` or a `ModuleDict`, or on one branch of an `if`. A mention in a ' +
        'comment is not a use, and neither is `self.apply(fn)`, which hands every module to `fn` (weight ' +
        'initialisation) without running it.',
      '',
      'It stays silent when the class reaches its submodules dynamically (`self.children()`, `getattr(self, name)`), ' +
        'when it derives from `nn.Sequential`, `nn.ModuleList` or `nn.ModuleDict` (the base runs or reaches every ' +
        'registered child), and when it inherits from a class whose code it cannot see that may read the attribute: ' +
        'a class of another file, or a library model or layer (`transformers.BertModel`, a timm or torchvision ' +
        "layer) whose own `forward` uses its attributes. `nn.Module`, Lightning's `LightningModule` and Hugging " +
        "Face's `PreTrainedModel` (and each family's `…PreTrainedModel`) call only methods the class writes, so the " +
        'rule checks their subclasses.',
      '',
      "When the regularizer's rate is 0 by default (a literal, an `__init__` parameter, or a config field such as " +
        '`dropout_features: float = 0.0`) and nothing in the file sets it to anything else, the mistake is latent: ' +
        'the finding says so, names the line of that default, and is shown at information severity. It stays a ' +
        "warning when the file's own code (a caller, a config) gives the rate a non-zero value.",
      '',
      'The fix (unsafe) follows the intent where `forward` shows it: an unused drop path is applied to the residual ' +
        'branches no regularizer wraps (`x = x + self.attn(h)` becomes `x = x + self.drop_path(self.attn(h))`). ' +
        'The other choice, and the only one for a dropout, removes the assignment.',
    ].join('\n'),
    wrong: [
      'class Block(nn.Module):',
      '    def __init__(self, dim, p=0.1):',
      '        super().__init__()',
      '        self.fc = nn.Linear(dim, dim)',
      '        self.drop = nn.Dropout(p)',
      '',
      '    def forward(self, x):',
      '        return x + self.fc(x)',
    ].join('\n'),
    right: [
      'class Block(nn.Module):',
      '    def __init__(self, dim, p=0.1):',
      '        super().__init__()',
      '        self.fc = nn.Linear(dim, dim)',
      '        self.drop = nn.Dropout(p)',
      '',
      '    def forward(self, x):',
      '        return x + self.drop(self.fc(x))',
    ].join('\n'),
    defaultSeverity: 'warning',
    fix: 'unsafe',
    tags: ['unnecessary'],
    triggers: /drop|stochastic/i,
    messages: {
      unused: '`self.{name}` ({kind}) is created in `__init__` but never used, so it regularizes nothing.',
      unusedBranch:
        '`self.{name}` ({kind}) is created in `__init__` but never used: the residual branch it was built for ' +
        '(line {a}) joins the stream undropped.',
      unusedTwoBranches:
        '`self.{name}` ({kind}) is created in `__init__` but never used: the residual branches it was built for ' +
        '(lines {a} and {b}) join the stream undropped.',
      unusedThreeBranches:
        '`self.{name}` ({kind}) is created in `__init__` but never used: the residual branches it was built for ' +
        '(lines {a}, {b} and {c}) join the stream undropped.',
      unusedLatent:
        '`self.{name}` ({kind}) is created in `__init__` but never used. Its rate is 0 by default (line {line}) ' +
        'and nothing in this file raises it: the mistake is latent until the rate is raised.',
    },
  },

  create(context) {
    return {
      moduleClass(cls) {
        if (!cls.isModule || !cls.closedHierarchy || cls.runsChildren) return;
        const family = [cls, ...context.model.subclassesOf(cls.name), ...context.model.superclassesOf(cls.name)];
        if (family.some((c) => !c.closedHierarchy || c.members.dynamicNames.has('*'))) return;
        const assignedOnce = new Map<string, number>();
        for (const sub of cls.members.submodules) assignedOnce.set(sub.name, (assignedOnce.get(sub.name) ?? 0) + 1);
        const built = new Map(cls.members.submodules.map((s) => [s, regularizerModules(context.model, s.value)]));
        for (const sub of cls.members.submodules) {
          const modules = built.get(sub)!;
          if (modules.length === 0) continue;
          // A module bound to several names is used through any of them, and reported once, by its first.
          if (sub.name !== sub.chain[0] || sub.chain.some((name) => isUsed({ ...sub, name }, family))) continue;
          const kind = [...new Set(modules.map((r) => r.name))].join(' / ');
          const rate = latentRate(context, cls, modules);
          const remove = removal(context, sub, assignedOnce.get(sub.name) === 1);
          // The branches it was built for, named in the message (their lines are what the fix edits).
          const branches = rate.latentAt ? [] : residualBranches(cls, modules, built);
          if (branches.length > 0 && branches.length <= 3) {
            const [a, b, c] = branches.map((n) => lineOf(n));
            context.report({
              node: sub.statement,
              messageId: ['unusedBranch', 'unusedTwoBranches', 'unusedThreeBranches'][branches.length - 1],
              data: { name: sub.name, kind, a, ...(b ? { b } : {}), ...(c ? { c } : {}) },
              fileWide: rate.fileWide,
              fix: application(context, cls, sub, branches),
              alternatives: remove ? [remove] : [],
            });
            continue;
          }
          context.report({
            node: sub.statement,
            messageId: rate.latentAt ? 'unusedLatent' : 'unused',
            data: rate.latentAt ? { name: sub.name, kind, line: lineOf(rate.latentAt) } : { name: sub.name, kind },
            severity: rate.latentAt ? 'info' : undefined,
            fileWide: rate.fileWide,
            fix: remove,
          });
        }
      },
    };
  },
};

/** The rate of every regularizer the assignment builds: latent when each one is 0 unless raised. */
function latentRate(
  context: RuleContext,
  cls: ModuleClass,
  modules: RegularizerModule[],
): { latentAt: Node | null; fileWide: boolean } {
  const init = cls.members.methods.get('__init__');
  let latentAt: Node | null = null;
  let fileWide = false;
  for (const { call, rate } of modules) {
    const arg = rate ? findArgument(call, rate) : 'absent';
    if (!init || arg === 'absent' || arg === 'unknown') return { latentAt: null, fileWide };
    const reading = readRate(context.model, arg.node, cls, init);
    fileWide ||= reading.fileWide;
    if (!reading.latentAt) return { latentAt: null, fileWide };
    latentAt ??= reading.latentAt;
  }
  return { latentAt, fileWide };
}

function isUsed(sub: Submodule, family: ModuleClass[]): boolean {
  for (const cls of family) {
    const m = cls.members;
    if (m.dynamicNames.has(sub.name)) return true;
    for (const ref of m.selfReferences.get(sub.name) ?? []) {
      if (ref.id === sub.target.id) continue;
      // Re-assigning the attribute is not a use.
      if (ref.parent?.type === 'assignment' && ref.parent.childForFieldName('left')?.id === ref.id) continue;
      return true;
    }
  }
  return false;
}

/** The residual branches of `forward` an unused drop path was built for: `x = x + self.attn(h)`, no regularizer. */
function residualBranches(
  cls: ModuleClass,
  modules: RegularizerModule[],
  built: Map<Submodule, RegularizerModule[]>,
): Node[] {
  if (!modules.every((r) => DROP_PATH_KINDS.has(r.kind))) return [];
  const forward = cls.members.methods.get('forward');
  const selfName = forward && firstParameter(forward);
  if (!forward || !selfName) return [];
  const regularizing = new Set(cls.members.submodules.filter((s) => built.get(s)!.length > 0).map((s) => s.name));
  const branches: Node[] = [];
  const addBranch = (candidate: Node | null) => {
    const fn = candidate?.type === 'call' ? candidate.childForFieldName('function') : null;
    if (fn?.type !== 'attribute' || fn.childForFieldName('object')?.text !== selfName) return;
    if (!regularizing.has(fn.childForFieldName('attribute')!.text)) branches.push(candidate!);
  };
  walk(forward, (n) => {
    if (n.type === 'augmented_assignment' && n.childForFieldName('operator')?.text === '+=')
      addBranch(n.childForFieldName('right'));
    if (n.type !== 'assignment') return;
    const left = n.childForFieldName('left');
    const right = n.childForFieldName('right');
    if (left?.type !== 'identifier' || right?.type !== 'binary_operator') return;
    if (right.childForFieldName('operator')?.text !== '+') return;
    const [a, b] = [right.childForFieldName('left'), right.childForFieldName('right')];
    if (a?.text === left.text) addBranch(b);
    else if (b?.text === left.text) addBranch(a);
  });
  return branches;
}

/**
 * What the user most likely meant: the drop path applied to the branches it was built for (`x = x + self.attn(h)`
 * becomes `x = x + self.drop_path(self.attn(h))`); removing it is the editor's other choice.
 */
function application(context: RuleContext, cls: ModuleClass, sub: Submodule, branches: Node[]): FixSpec {
  const selfName = firstParameter(cls.members.methods.get('forward')!)!;
  return {
    applicability: 'unsafe',
    title:
      `Apply \`${selfName}.${sub.name}\` to the residual branch${branches.length === 1 ? '' : 'es'} ` +
      `(${branches.map((b) => `\`${b.text.split('(')[0]}\``).join(', ')})`,
    edits: branches.map((b) => context.edit(b, `${selfName}.${sub.name}(${b.text})`)),
  };
}

function removal(context: RuleContext, sub: Submodule, onlyAssignment: boolean) {
  const edit = onlyAssignment ? deleteStatement(context.file, sub.statement) : null;
  return edit
    ? { applicability: 'unsafe' as const, title: `Remove the unused \`self.${sub.name}\``, edits: [edit] }
    : null;
}
