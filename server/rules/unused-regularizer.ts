import type { ModuleClass, Submodule } from '../engine/classes';
import type { Rule, RuleContext } from '../engine/rule';
import { deleteStatement } from '../engine/edits';

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
      'Any reference elsewhere in the class counts as a use: calling it, passing it on, reading an attribute ' +
        '(`self.drop.p`), using it inside a lambda, a `Sequential` or a `ModuleDict`, or on one branch of an `if`. ' +
        'Classes of the same file that inherit from the class (or that it inherits from) are searched too. The ' +
        'rule stays silent when the class reaches its submodules dynamically (`self.children()`, `getattr(self, ' +
        'name)`) or inherits from a class defined outside the file, whose code might use the attribute. A mention ' +
        'in a comment is not a use.',
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
    },
  },

  create(context) {
    return {
      moduleClass(cls) {
        if (!cls.isModule || !cls.closedHierarchy) return;
        const family = [cls, ...context.model.subclassesOf(cls.name), ...context.model.superclassesOf(cls.name)];
        if (family.some((c) => !c.closedHierarchy || c.members.dynamicNames.has('*'))) return;
        const assignedOnce = new Map<string, number>();
        for (const sub of cls.members.submodules) assignedOnce.set(sub.name, (assignedOnce.get(sub.name) ?? 0) + 1);
        for (const sub of cls.members.submodules) {
          if (sub.regularizers.length === 0) continue;
          if (isUsed(sub, family)) continue;
          const kind = [...new Set(sub.regularizers.map((r) => r.qualifiedName.split('.').pop()))].join(' / ');
          context.report({
            node: sub.statement,
            messageId: 'unused',
            data: { name: sub.name, kind },
            fix: removal(context, sub, assignedOnce.get(sub.name) === 1),
          });
        }
      },
    };
  },
};

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

function removal(context: RuleContext, sub: Submodule, onlyAssignment: boolean) {
  const edit = onlyAssignment ? deleteStatement(context.file, sub.statement) : null;
  return edit
    ? { applicability: 'unsafe' as const, title: `Remove the unused \`self.${sub.name}\``, edits: [edit] }
    : null;
}
