import { regularizer } from '../engine/catalog';
import { firstParameter, type ModuleClass } from '../engine/classes';
import type { Node } from '../engine/parser';
import { lineOf, type Rule, type RuleContext } from '../engine/rule';
import { findArgument, isSelfTraining, walk, CALL_NODES } from '../engine/syntax';
import { conditionImpliesTraining } from '../engine/training';
import { type FxTrace, fxTracedClasses } from '../engine/tracing';

export const trainingModeFrozen: Rule = {
  meta: {
    code: 'RG013',
    name: 'training-mode-frozen',
    summary: 'A regularizer stops following `model.train()` / `model.eval()`: its mode is fixed once and never again.',
    explanation: [
      'A module switches its regularizers between training and evaluation through `self.training`, which ' +
        '`model.train()` and `model.eval()` set on every submodule. Two ways of writing it run without error and ' +
        'fix the mode for good:',
      '',
      '- **A rate switched off on the module itself.** `self.dropout_p = 0` in the evaluation branch of `forward` ' +
        '(`else:` after `if self.training:`, or under `if not self.training:`) changes the module, not the call: ' +
        'after the first evaluation the rate stays 0 when training resumes, and the model trains without that ' +
        'dropout. The same holds for `self.attn_drop.p = 0.0`. The rule reads assignments to an attribute that ' +
        '`__init__` set and that serves as a rate (a name with `drop` in it, or the `p` of a dropout submodule); it ' +
        'is silent when the training branch assigns the same attribute back. Use a local variable: ' +
        '`dropout_p = self.dropout_p if self.training else 0.0`.',
      '- **A training flag read while tracing.** `torch.fx.symbolic_trace` and PyTorch Geometric’s `to_hetero` ' +
        'run `forward` once and record the tensor operations; `training=self.training` is read as a plain Python ' +
        'value then and baked into the graph. The traced model keeps dropping after `model.eval()` (PyG #7745). ' +
        'The rule follows a module class of the same file into the tracer (`to_hetero(GNN(...), ...)`, or a name ' +
        'or `self.encoder` assigned from one) and reports each functional regularizer whose flag is ' +
        '`self.training`. An `nn.Dropout` submodule is traced as a module call and keeps following the mode.',
      '',
      'A third form, `self.training` read in `__init__` (always True there), is reported by RG006.',
    ].join('\n'),
    wrong: [
      'class FlashSelfAttention(nn.Module):',
      '    def __init__(self, attention_dropout=0.0):',
      '        super().__init__()',
      '        self.dropout_p = attention_dropout',
      '',
      '    def forward(self, q, k, v):',
      '        if not self.training:',
      '            self.dropout_p = 0',
      '        return flash_attn_func(q, k, v, self.dropout_p)',
    ].join('\n'),
    right: [
      'class FlashSelfAttention(nn.Module):',
      '    def __init__(self, attention_dropout=0.0):',
      '        super().__init__()',
      '        self.dropout_p = attention_dropout',
      '',
      '    def forward(self, q, k, v):',
      '        dropout_p = self.dropout_p if self.training else 0.0',
      '        return flash_attn_func(q, k, v, dropout_p)',
    ].join('\n'),
    defaultSeverity: 'warning',
    fix: 'none',
    triggers: /drop/i,
    messages: {
      rateChanged:
        '`{target} = {value}` sets the rate on the module, not for this call: it stays {value} after evaluation ' +
        '(line {line} tests the mode), so once the model has been evaluated it trains without this dropout. Keep ' +
        'the evaluation rate in a local variable.',
      tracedFlag:
        '`{flag}` is read once, when `{tracer}` (line {line}) traces `{cls}`: the graph keeps the value it had ' +
        'then, so `{callee}` drops in evaluation too. Use an `nn.Dropout` submodule, which the trace keeps as a ' +
        'module call that follows the mode.',
    },
  },

  create(context) {
    return {
      moduleClass(cls) {
        if (!/drop/i.test(cls.text)) return;
        for (const [name, method] of cls.members.methods) {
          const selfName = firstParameter(method);
          if (name === '__init__' || !selfName) continue;
          checkRateChanges(context, cls, method, selfName);
        }
        const tracer = fxTracedClasses(context.model).get(cls.name);
        if (tracer) checkTracedFlags(context, cls, tracer);
      },
    };
  },
};

function checkRateChanges(context: RuleContext, cls: ModuleClass, method: Node, selfName: string): void {
  // An evaluation branch tests the mode: a method that never says `training` has none.
  if (!method.text.includes('training')) return;
  const configured = attributesSetInInit(cls);
  walk(
    method,
    (n) => {
      const target = n.childForFieldName('left');
      const value = n.childForFieldName('right');
      if (!target || !value || !isRateAttribute(cls, target, selfName, configured)) return;
      const test = evaluationBranch(n, method, selfName);
      if (!test || assignedInTrainingBranch(test.statement, target.text)) return;
      context.report({
        node: n,
        messageId: 'rateChanged',
        data: { target: target.text, value: value.text, line: lineOf(test.condition) },
      });
    },
    ASSIGNMENTS,
  );
}

const ASSIGNMENTS = new Set(['assignment']);

/** `self.dropout_p` (set in `__init__`, named for dropping) or `self.attn_drop.p` (the rate of a dropout submodule). */
function isRateAttribute(cls: ModuleClass, target: Node, selfName: string, configured: Set<string>): boolean {
  if (target.type !== 'attribute') return false;
  const object = target.childForFieldName('object');
  const attr = target.childForFieldName('attribute')?.text ?? '';
  if (object?.text === selfName) return configured.has(attr) && /drop/i.test(attr);
  if (attr !== 'p' || object?.type !== 'attribute' || object.childForFieldName('object')?.text !== selfName)
    return false;
  const sub = object.childForFieldName('attribute')?.text;
  return cls.members.submodules.some((s) => s.name === sub && s.regularizers.length > 0);
}

function attributesSetInInit(cls: ModuleClass): Set<string> {
  const out = new Set<string>();
  const init = cls.members.methods.get('__init__');
  const selfName = init && firstParameter(init);
  if (!init || !selfName) return out;
  walk(
    init,
    (n) => {
      const left = n.childForFieldName('left');
      if (left?.type === 'attribute' && left.childForFieldName('object')?.text === selfName)
        out.add(left.childForFieldName('attribute')!.text);
    },
    ASSIGNMENTS,
  );
  return out;
}

/** The `if` whose evaluation side holds the node: the `else` of `if self.training:`, or `if not self.training:`. */
function evaluationBranch(node: Node, method: Node, selfName: string): { statement: Node; condition: Node } | null {
  let child = node;
  for (let p = node.parent; p && p.id !== method.id; child = p, p = p.parent) {
    if (p.type === 'else_clause') {
      const statement = p.parent;
      const condition = statement?.childForFieldName('condition');
      if (statement?.type === 'if_statement' && condition && conditionImpliesTraining(condition, selfName))
        return { statement, condition };
    }
    if (p.type === 'if_statement' && p.childForFieldName('consequence')?.id === child.id) {
      const condition = p.childForFieldName('condition');
      const negated = condition?.type === 'not_operator' ? condition.childForFieldName('argument') : null;
      if (condition && negated && isSelfTraining(negated, selfName)) return { statement: p, condition };
    }
  }
  return null;
}

/** Does the training side of the `if` set the attribute again (a rate switched per call, restored in training)? */
function assignedInTrainingBranch(statement: Node, target: string): boolean {
  const negated = statement.childForFieldName('condition')?.type === 'not_operator';
  // The training side: the consequence of `if self.training:`, the `else` of `if not self.training:`.
  const side = negated
    ? statement.namedChildren.find((c) => c?.type === 'else_clause')
    : statement.childForFieldName('consequence');
  let found = false;
  if (side)
    walk(side, (n) => {
      if (found) return false;
      if (n.type === 'assignment' && n.childForFieldName('left')?.text === target) found = true;
    });
  return found;
}

function checkTracedFlags(context: RuleContext, cls: ModuleClass, tracer: FxTrace): void {
  for (const [name, method] of cls.members.methods) {
    const selfName = firstParameter(method);
    if (name === '__init__' || !selfName) continue;
    walk(
      method,
      (call) => {
        const fn = call.childForFieldName('function');
        const spec = regularizer(context.model.imports.resolve(fn));
        if (!spec?.training || spec.form !== 'function') return;
        const flag = findArgument(call, spec.training);
        if (flag === 'absent' || flag === 'unknown' || !isSelfTraining(flag.node, selfName)) return;
        context.report({
          node: call,
          messageId: 'tracedFlag',
          data: {
            flag: flag.node.text,
            tracer: tracer.name,
            line: lineOf(tracer.call),
            cls: cls.name,
            callee: fn!.text,
          },
          fileWide: true,
        });
      },
      CALL_NODES,
    );
  }
}
