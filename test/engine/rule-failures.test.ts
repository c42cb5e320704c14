// A rule that throws on code it did not foresee must not leave that code looking clean: the statement gets a finding
// that says which rule stopped there and why, and the other rules' findings stand.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { Analyzer } from '../../server/engine/analyze';
import { RuleSelection } from '../../server/engine/config';
import { initParser, SourceFile } from '../../server/engine/parser';
import type { Rule } from '../../server/engine/rule';
import { rules } from '../../server/rules';
import { withRuleDebugging } from './rule-debugging';

before(() => initParser());

/** A rule with a bug: it throws on every call of `unforeseen(…)`, as a real rule would on a construct it misreads. */
const fragile: Rule = {
  meta: { ...rules[0].meta, code: 'RG900', name: 'fragile', triggers: /unforeseen/ },
  create: () => ({
    call: (node) => {
      if (node.childForFieldName('function')?.text === 'unforeseen') throw new TypeError('cannot read the call');
    },
  }),
};

const source = [
  'import torch.nn as nn',
  'import torch.nn.functional as F',
  '',
  'class A(nn.Module):',
  '    def forward(self, x):',
  '        return F.dropout(x, 0.1)',
  '',
  'class B(nn.Module):',
  '    def forward(self, x):',
  '        x = unforeseen(x)',
  '        return unforeseen(x)',
  '',
].join('\n');

function analyzeWithoutDebug(analyzer: Analyzer, file: SourceFile) {
  return withRuleDebugging(false, () => analyzer.analyze(file, new RuleSelection({})));
}

test('a rule that throws says which statement it left unchecked, once, and the other findings stand', () => {
  const file = new SourceFile(source);
  try {
    const analyzer = new Analyzer([...rules, fragile]);
    const found = analyzeWithoutDebug(analyzer, file);
    assert.deepEqual(
      found.map((f) => `${f.code}:${f.name}@${f.range.start.line}`),
      ['RG006:regularizer-active-in-eval@5', 'RG900:internal-error@7'],
    );
    const failure = found[1];
    assert.equal(failure.severity, 'error');
    assert.match(
      failure.message,
      /^RG900 \(fragile\) failed on lines 8–11, which it left unchecked: TypeError: cannot/,
    );
    assert.deepEqual(failure.range, { start: { line: 7, character: 0 }, end: { line: 7, character: 19 } });

    // Not kept as a clean result: an edit elsewhere, and the failing statement is tried, and reported, again.
    file.applyChange(
      { start: { line: 5, character: 31 }, end: { line: 5, character: 31 } },
      ', training=self.training',
    );
    assert.deepEqual(
      analyzeWithoutDebug(analyzer, file).map((f) => `${f.code}:${f.name}@${f.range.start.line}`),
      ['RG900:internal-error@7'],
    );
  } finally {
    file.dispose();
  }
});

test('with REGLENS_DEBUG set, the rule failure is thrown for the developer to see', () => {
  const file = new SourceFile(source);
  try {
    withRuleDebugging(true, () =>
      assert.throws(
        () => new Analyzer([...rules, fragile]).analyze(file, new RuleSelection({})),
        /cannot read the call/,
      ),
    );
  } finally {
    file.dispose();
  }
});
