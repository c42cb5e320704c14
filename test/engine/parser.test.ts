import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { generateModelFile } from '../../bench/model-file';
import { Analyzer, lintText } from '../../server/engine/analyze';
import { RuleSelection } from '../../server/engine/config';
import { initParser, ParseLimit, parseForAnalysis, SourceFile } from '../../server/engine/parser';
import { rules } from '../../server/rules';
import { withRuleDebugging } from './rule-debugging';
import { copyDifferences } from './tree-compare';

before(() => initParser());

const model = [
  'import torch.nn as nn',
  'import torch.nn.functional as F',
  '',
  'class A(nn.Module):',
  '    def forward(self, x):',
  '        return F.dropout(x, 0.1)',
  '',
  'class B(nn.Module):',
  '    def forward(self, x):',
  '        return F.dropout(x, 0.2)',
  '',
].join('\n');

/** A deterministic pseudo-random sequence, so a failure can be replayed. */
function* rng(seed: number): Generator<number> {
  for (;;) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    yield seed / 0x7fffffff;
  }
}

test('incremental edits give the same tree and findings as parsing the final text afresh', () => {
  const file = new SourceFile(model);
  const analyzer = new Analyzer(rules);
  const all = new RuleSelection({});
  const r = rng(7);
  const inserts = ['x', ' ', '\n', '(', ')', 'é', '😀', '\r\n', '    ', 'F.dropout(x)', ''];
  try {
    for (let i = 0; i < 300; i++) {
      const start = Math.floor(r.next().value * (file.text.length + 1));
      const end = Math.min(file.text.length, start + Math.floor(r.next().value * 4));
      const text = inserts[Math.floor(r.next().value * inserts.length)];
      file.applyChange({ start: file.positionAt(start), end: file.positionAt(end) }, text);
      // Keep the cache warm the way the language server does.
      analyzer.analyze(file, all);
    }
    const fresh = new SourceFile(file.text);
    try {
      assert.equal(file.tree.rootNode.toString(), fresh.tree.rootNode.toString());
      assert.deepEqual(analyzer.analyze(file, all), new Analyzer(rules).analyze(fresh, all));
    } finally {
      fresh.dispose();
    }
  } finally {
    file.dispose();
  }
});

test('a syntax error in one class does not hide findings in intact code elsewhere', () => {
  const broken = model.replace(
    'class A(nn.Module):\n    def forward(self, x):',
    'class A(nn.Module:\n    def forward(self, x:',
  );
  const findings = lintText(rules, broken);
  assert.ok(
    findings.some((f) => f.code === 'RG006' && f.range.start.line === 9),
    JSON.stringify(findings),
  );
});

test('positions count UTF-16 code units, as LSP does', () => {
  const src = model.replace('return F.dropout(x, 0.2)', 'y = "é😀"; return F.dropout(x, 0.2)');
  const f = lintText(rules, src).find((d) => d.range.start.line === 9)!;
  const line = src.split('\n')[9];
  assert.equal(f.range.start.character, line.indexOf('F.dropout'));
});

test('half-typed code, NUL bytes and lone surrogates are analysed without throwing', () => {
  for (const text of [
    'class A(nn.Module):\n    def forward(self, x):\n        return F.dropout(',
    '\u0000\u0000import torch\n\ud800x = 1',
    'def f(:\n',
    `${'('.repeat(5000)}dropout${')'.repeat(5000)}`,
    '',
  ]) {
    assert.doesNotThrow(() => lintText(rules, text));
  }
});

test('an edit inside one class re-checks that class and keeps the other findings in place', () => {
  const file = new SourceFile(model);
  const analyzer = new Analyzer(rules);
  const all = new RuleSelection({});
  try {
    const before = analyzer.analyze(file, all);
    assert.deepEqual(
      before.map((f) => f.range.start.line),
      [5, 9],
    );
    // Insert two lines above class B: its finding moves down by two, A's stays.
    file.applyChange({ start: { line: 7, character: 0 }, end: { line: 7, character: 0 } }, '# a\n# b\n');
    assert.deepEqual(
      analyzer.analyze(file, all).map((f) => f.range.start.line),
      [5, 11],
    );
    // Fix A: only B's finding is left.
    file.applyChange(
      { start: { line: 5, character: 31 }, end: { line: 5, character: 31 } },
      ', training=self.training',
    );
    assert.equal(file.lineText(5), '        return F.dropout(x, 0.1, training=self.training)');
    assert.deepEqual(
      analyzer.analyze(file, all).map((f) => f.range.start.line),
      [11],
    );
  } finally {
    file.dispose();
  }
});

test('an edit to a class a superclass builds re-checks the subclass that reaches it through self.model', () => {
  const src = [
    'import torch',
    'import torch.nn as nn',
    '',
    'class LMModel(nn.Module):',
    '    def __init__(self, config):',
    '        super().__init__()',
    '        self.embed_tokens = nn.Embedding(config.vocab_size, config.dim)',
    '        self.dropout = nn.LayerNorm(config.dim)',
    '',
    'class CausalLM(nn.Module):',
    '    def __init__(self, config):',
    '        super().__init__()',
    '        self.model = LMModel(config)',
    '',
    'class VLM(CausalLM):',
    '    def __init__(self, config):',
    '        super().__init__(config)',
    '        self.vision_proj = nn.Linear(config.vision_dim, config.dim)',
    '',
    '    def forward(self, input_ids, pixel_values):',
    '        h = self.model.dropout(self.model.embed_tokens(input_ids))',
    '        return torch.cat([self.vision_proj(pixel_values), h], dim=1)',
    '',
  ].join('\n');
  const file = new SourceFile(src);
  const analyzer = new Analyzer(rules);
  const rg001 = new RuleSelection({ select: ['RG001'] });
  try {
    // Cached as having no finding: VLM's text will not change, only what its superclass's submodule is.
    assert.deepEqual(analyzer.analyze(file, rg001), []);
    const line = 7;
    const text = file.lineText(line);
    const at = text.indexOf('nn.LayerNorm(config.dim)');
    file.applyChange(
      { start: { line, character: at }, end: { line, character: text.length } },
      'nn.Dropout(config.dropout)',
    );
    assert.deepEqual(
      analyzer.analyze(file, rg001).map((f) => f.range.start.line),
      [20],
    );
  } finally {
    file.dispose();
  }
});

test('two broken classes in a row still leave the third one checked', () => {
  const src =
    model.replace('class A(nn.Module):', 'class A(nn.Module:') +
    'class C(nn.Module):\n    def forward(self, x):\n        y = (1,\n        return x\n' +
    'class D(nn.Module):\n    def forward(self, x):\n        return F.dropout(x, 0.3)\n';
  const lines = lintText(rules, src).map((f) => f.range.start.line);
  assert.ok(lines.includes(src.split('\n').findIndex((l) => l.includes('0.3'))), JSON.stringify(lines));
  assert.ok(lines.includes(9), 'class B, between the two broken classes, is checked');
});

test('line bookkeeping survives edits that split and join \\r\\n pairs', () => {
  const file = new SourceFile('a\r\nb\rc\nd');
  const r = rng(11);
  const pieces = ['\r', '\n', '\r\n', 'x', '', 'y\rz'];
  try {
    for (let i = 0; i < 500; i++) {
      const start = Math.floor(r.next().value * (file.text.length + 1));
      const end = Math.min(file.text.length, start + Math.floor(r.next().value * 3));
      file.applyChange(
        { start: file.positionAt(start), end: file.positionAt(end) },
        pieces[Math.floor(r.next().value * pieces.length)],
      );
      const fresh = new SourceFile(file.text);
      try {
        assert.equal(file.lineCount, fresh.lineCount, JSON.stringify(file.text));
        for (let o = 0; o <= file.text.length; o++) assert.deepEqual(file.positionAt(o), fresh.positionAt(o));
      } finally {
        fresh.dispose();
      }
    }
  } finally {
    file.dispose();
  }
});

/** Applies the edit and says whether the file then counts as too deep to analyse (its copy refuses it). */
function tooDeepAfter(
  file: SourceFile,
  range: { start: { line: number; character: number }; end: { line: number; character: number } },
  text: string,
): boolean {
  file.applyChange(range, text);
  return tooDeep(file);
}

function tooDeep(file: SourceFile): boolean {
  try {
    void file.root;
    return false;
  } catch (e) {
    if (e instanceof ParseLimit) return true;
    throw e;
  }
}

/** Whether `text` parsed afresh is too deep to analyse. */
function freshlyTooDeep(text: string): boolean {
  try {
    parseForAnalysis(text).dispose();
    return false;
  } catch (e) {
    if (e instanceof ParseLimit) return true;
    throw e;
  }
}

test('edits that nest brackets past the limit a little at a time are refused, and undoing them is accepted', () => {
  // The copy after an edit takes the untouched statements over from the copy before it; growing the nesting in many
  // small steps, each far below the limit, must still end in the same refusal as parsing the final text afresh.
  const file = new SourceFile('y = 1\n');
  try {
    let deep = false;
    let steps = 0;
    while (!deep && steps < 40) {
      steps++;
      const line = file.lineText(0);
      // `y = ((…1…))`: 50 more levels at each step, inserted as two edits, the closing ones first.
      deep = tooDeepAfter(
        file,
        { start: { line: 0, character: line.length }, end: { line: 0, character: line.length } },
        ')'.repeat(50),
      );
      if (!deep)
        deep = tooDeepAfter(file, { start: { line: 0, character: 4 }, end: { line: 0, character: 4 } }, '('.repeat(50));
    }
    assert.ok(deep, 'the file became too deep');
    assert.ok(freshlyTooDeep(file.text), 'a fresh parse agrees');
    assert.ok(steps > 5, `it took ${steps} steps, so no single edit was deep on its own`);
    assert.equal(
      tooDeepAfter(file, { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } }, 'y = 1\n'),
      false,
    );
  } finally {
    file.dispose();
  }
});

test('edits that indent past the limit one line at a time are refused', () => {
  const file = new SourceFile('if x:\n    pass\n');
  try {
    let deep = false;
    let lines = 1;
    while (!deep && lines < 2000) {
      // Each line one column deeper than the one before: `if x:` nested ever more.
      const last = file.lineCount - 1;
      deep = tooDeepAfter(
        file,
        { start: { line: last, character: 0 }, end: { line: last, character: 0 } },
        `${' '.repeat(lines)}if x:\n`,
      );
      lines++;
    }
    assert.ok(deep, 'the file became too deep');
    assert.ok(freshlyTooDeep(file.text), 'a fresh parse agrees');
  } finally {
    file.dispose();
  }
});

test('an expression chaining operators past the depth limit is refused, and one just inside it is analysed', () => {
  // The LSP fuzzer's input: `x = self.norm1 + a + a + …` on one 31,000-character line, a tree 7,700 levels deep
  // with no bracket in it, overflowed the stack of the flow evaluator, which lost the class's findings.
  const chains: Record<string, (n: number) => string> = {
    sum: (n) => `self.norm1${' + a'.repeat(n)}`,
    attribute: (n) => `a${'.b'.repeat(n)}`,
    call: (n) => `f${'()'.repeat(n)}`,
    negation: (n) => `${'-'.repeat(n)}a`,
    not: (n) => `${'not '.repeat(n)}a`,
    conditional: (n) => `${'a if b else '.repeat(n)}c`,
    nestedDropout: (n) => `${'F.dropout('.repeat(n)}x${', 0.1)'.repeat(n)}`,
  };
  const source = (expr: string) =>
    [
      'import torch.nn as nn',
      'import torch.nn.functional as F',
      '',
      'class Block(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.norm1 = nn.LayerNorm(4)',
      '',
      '    def forward(self, a, x):',
      `        x = ${expr}`,
      '        return F.dropout(x, 0.2)',
      '',
    ].join('\n');
  // A rule that throws then fails the test rather than leaving a finding that says so.
  withRuleDebugging(true, () => {
    for (const [name, chain] of Object.entries(chains)) {
      assert.ok(freshlyTooDeep(source(chain(8000))), `${name}: 8,000 links are refused`);
      let inside = 1;
      let outside = 8000;
      while (outside - inside > 1) {
        const mid = (inside + outside) >> 1;
        if (freshlyTooDeep(source(chain(mid)))) outside = mid;
        else inside = mid;
      }
      assert.ok(inside >= 400, `${name}: ${inside} links are analysed`);
      const codes = lintText(rules, source(chain(inside))).map((f) => `${f.code}@${f.range.start.line}`);
      assert.ok(codes.includes('RG006@10'), `${name}: the dropout after ${inside} links is still checked: ${codes}`);
    }
  });
});

test('editing a large file many times keeps no copy of each old text alive', () => {
  // Memos keyed by a class's text once held slices of the file, and a V8 slice keeps its whole source alive: every
  // edit of a 150 KB file left 150 KB behind (1,500 edits: 220 MB).
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const model = generateModelFile(5000);
  const file = new SourceFile(model.text);
  const analyzer = new Analyzer(rules);
  const all = new RuleSelection({});
  try {
    analyzer.analyze(file, all);
    gc();
    const before = process.memoryUsage().heapUsed;
    const edits = 400;
    for (let i = 0; i < edits; i++) {
      const p = model.editPoints[(i * 37) % model.editPoints.length];
      // A new letter each time, so each edited class's text is one the memos have not seen.
      file.applyChange({ start: p, end: p }, 'abcdefghijklmnopqrstuvwxyz'[i % 26]);
      analyzer.analyze(file, all);
    }
    gc();
    const growth = process.memoryUsage().heapUsed - before;
    const perEdit = model.text.length * 0.5;
    assert.ok(
      growth < edits * perEdit,
      `heap grew by ${(growth / 2 ** 20).toFixed(1)} MB over ${edits} edits of a ` +
        `${(model.text.length / 1024).toFixed(0)} KB file`,
    );
  } finally {
    file.dispose();
  }
});

test('a class shadowed by a later class of the same name is re-checked, as a fresh analysis reads it', () => {
  // From the edit-storm test (seed 1360878414): a header typed above a statement makes a second `A`.
  const file = new SourceFile(model);
  const analyzer = new Analyzer(rules);
  const selection = new RuleSelection({});
  try {
    assert.equal(analyzer.analyze(file, selection).length, 2);
    const at = { line: model.split('\n').length - 1, character: 0 };
    file.applyChange({ start: at, end: at }, 'class A(nn.Module):\n    pass\n');
    const describe = (fs: ReturnType<typeof lintText>) => fs.map((f) => `${f.code} ${f.range.start.line}`);
    assert.deepEqual(describe(analyzer.analyze(file, selection)), describe(lintText(rules, file.text, selection)));
  } finally {
    file.dispose();
  }
});

test('a finding that read a caller outside its class is recomputed when that caller changes', () => {
  // RG006 is a warning while the module-level call raises the rate, and latent (information) once it no longer does:
  // the class's text is the same, so a cached finding would keep the old severity.
  const src = [
    'import torch.nn as nn',
    'import torch.nn.functional as F',
    '',
    'class Head(nn.Module):',
    '    def __init__(self, dropout=0.0):',
    '        super().__init__()',
    '        self.dropout = dropout',
    '',
    '    def forward(self, x):',
    '        return F.dropout(x, p=self.dropout)',
    '',
    'head = Head(dropout=0.1)',
    '',
  ].join('\n');
  const file = new SourceFile(src);
  const analyzer = new Analyzer(rules);
  const only = new RuleSelection({ select: ['RG006'] });
  try {
    assert.deepEqual(
      analyzer.analyze(file, only).map((f) => f.severity),
      ['warning'],
    );
    file.applyChange({ start: { line: 11, character: 20 }, end: { line: 11, character: 23 } }, '0.0');
    assert.equal(file.lineText(11), 'head = Head(dropout=0.0)');
    const after = analyzer.analyze(file, only);
    assert.deepEqual(
      after.map((f) => f.severity),
      ['info'],
    );
    assert.match(after[0].message, /0 by default \(line 5\)/);
  } finally {
    file.dispose();
  }
});

test('an edit of a function a script loop calls reaches the loop: RG015 reads across statements', () => {
  // From the edit-storm test (seed 366081987): `train` stops switching to training mode, and the epoch loop in `main`,
  // whose own text did not change, now trains an evaluated model. Its cached silence must not stand.
  const text = [
    'import torch',
    'import torch.nn as nn',
    '',
    'class Net(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    '        self.drop = nn.Dropout(0.2)',
    '',
    '    def forward(self, x):',
    '        return self.drop(x)',
    '',
    'def train(model, batch):',
    '    model.train()',
    '    model(batch).sum().backward()',
    '',
    'def test(model, batch):',
    '    model.eval()',
    '    with torch.no_grad():',
    '        return model(batch)',
    '',
    'def main(batch):',
    '    model = Net()',
    '    for epoch in range(3):',
    '        train(model, batch)',
    '        test(model, batch)',
    '',
  ].join('\n');
  const selection = new RuleSelection({});
  const file = new SourceFile(text);
  try {
    const analyzer = new Analyzer(rules);
    assert.deepEqual(analyzer.analyze(file, selection), []);
    file.applyChange({ start: { line: 12, character: 4 }, end: { line: 12, character: 9 } }, 'mode.l');
    const fresh = lintText(rules, file.text, selection).map((f) => `${f.code}@${f.range.start.line}`);
    assert.deepEqual(fresh, ['RG015@23']);
    assert.deepEqual(
      analyzer.analyze(file, selection).map((f) => `${f.code}@${f.range.start.line}`),
      fresh,
    );
  } finally {
    file.dispose();
  }
});

test('blanked damaged lines are an edit of the last blanked file: same offsets, the tree a fresh parse gives', () => {
  const lf =
    'import torch\n\nclass A(nn.Module):\n    def forward(self, x):\n        return g(x\n\nclass B:\n    p = 0.1\n';
  for (const text of [lf, lf.replaceAll('\n', '\r\n')]) {
    const label = JSON.stringify(text.slice(0, 14));
    const file = new SourceFile(text);
    try {
      const blanked = (ranges: [number, number][]) =>
        text
          .split('\n')
          .map((line, i) => (ranges.some(([a, b]) => i >= a && i < b) ? line.replace(/[^\r]/g, ' ') : line))
          .join('\n');
      const first = file.withBlankedLines([[2, 6]]);
      assert.equal(first.text, blanked([[2, 6]]), label);
      // More damage found in a second round: the same file, edited, not parsed afresh.
      const second = file.withBlankedLines([
        [2, 6],
        [6, 8],
      ]);
      assert.equal(second, first, label);
      assert.equal(second.text, blanked([[2, 8]]), label);
      const fresh = new SourceFile(second.text);
      try {
        assert.deepEqual(copyDifferences(second.root, fresh.root), [], label);
      } finally {
        fresh.dispose();
      }
      // Mended, and damaged again elsewhere: still an edit of the same file.
      file.applyChange({ start: { line: 4, character: 18 }, end: { line: 4, character: 18 } }, ')');
      const third = file.withBlankedLines([[7, 8]]);
      assert.equal(third, first, label);
      assert.equal(third.text, blanked([[7, 8]]).replace('g(x', 'g(x)'), label);
    } finally {
      file.dispose();
    }
  }
});
