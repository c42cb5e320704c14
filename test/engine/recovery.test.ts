// Recovery from a syntax error that swallows the code after it (server/engine/recovery.ts), on what people type: a
// bracket opened in a method and not closed yet, a docstring opened and not closed, a broken signature. The texts are
// written after the classes of public model code (../shared/corpus: a residual block with stochastic depth, a
// classifier head) and the line the language-server benchmark types.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { Analyzer, lintText } from '../../server/engine/analyze';
import { RuleSelection } from '../../server/engine/config';
import { initParser, SourceFile } from '../../server/engine/parser';
import { recover } from '../../server/engine/recovery';
import { syntaxErrorFinding } from '../../server/engine/syntax-errors';
import { rules } from '../../server/rules';

before(() => initParser());

const MODEL = `import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    """Residual block with stochastic depth."""

    def __init__(self, dim, drop_path=0.1):
        super().__init__()
        self.conv = nn.Conv2d(dim, dim, 3, padding=1)
        self.bn = nn.BatchNorm2d(dim)
        self.drop_path = drop_path
        self.dropout = nn.Dropout2d(0.05)

    def forward(self, x):
        y = self.bn(self.conv(x))
        y = F.relu(y)
        if self.training and torch.rand(1).item() < self.drop_path:
            return x
        return x + y


class Head(nn.Module):
    """Classifier head."""

    def __init__(self, dim, classes, p=0.2):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.fc = nn.Linear(dim, classes)
        self.p = p

    def forward(self, x):
        z = self.pool(x.transpose(1, 2)).flatten(1)
        z = F.dropout(z, p=self.p)
        return self.fc(z)
`;

/** `text` with `line` inserted before line `at` (0-based). */
function inserted(text: string, at: number, line: string): string {
  const lines = text.split('\n');
  lines.splice(at, 0, line);
  return lines.join('\n');
}

const codes = (text: string) => lintText(rules, text).map((f) => `${f.code}@${f.range.start.line}`);

test('a bracket left open in a method: only its line goes unchecked, the findings after it stay', () => {
  // RG007 (the unused Dropout2d) on line 13; RG006 (F.dropout without training) on line 34.
  assert.deepEqual(codes(MODEL), ['RG007@13', 'RG006@34']);
  // tree-sitter reads the rest of this file as one ERROR node when the bracket is typed here.
  const broken = inserted(MODEL, 17, '        y = torch.cat(');
  const file = new SourceFile(broken);
  try {
    assert.equal(file.tree.rootNode.child(0)?.type, 'ERROR');
    const recovery = recover(file)!;
    assert.deepEqual(recovery.damaged, [[17, 18]]);
    assert.equal(recovery.damage, 'unchecked');
    assert.deepEqual(codes(broken), ['RG007@13', 'RG006@35']);
    assert.match(syntaxErrorFinding(file)!.message, /Line 18 was not checked; the rest of the file was checked\.$/);
  } finally {
    file.dispose();
  }
});

test('a bracket left open on a continued call: its continuation lines go unchecked with it', () => {
  const broken = inserted(MODEL, 34, '        z = torch.cat([z,\n                       z],');
  const file = new SourceFile(broken);
  try {
    assert.deepEqual(recover(file)?.damaged, [[34, 36]]);
    assert.deepEqual(codes(broken), ['RG007@13', 'RG006@36']);
  } finally {
    file.dispose();
  }
});

test('what people leave open, and what stays checked', () => {
  const cases: { broken: string; damaged: [number, number][]; error: string; codes: string[] }[] = [
    // A signature: the method goes unchecked.
    {
      broken: MODEL.replace('    def forward(self, x):\n        y =', '    def forward(self, x:\n        y ='),
      damaged: [[15, 21]],
      error: '`def forward(self, x:` cannot be parsed here. Lines 16–21 were',
      codes: ['RG007@13', 'RG006@34'],
    },
    // A config dict between two classes: its line.
    {
      broken: MODEL.replace('\n\nclass Head', '\n\nCFG = dict(\n\nclass Head'),
      damaged: [[23, 24]],
      error: '`(` was never closed. Line 24 was',
      codes: ['RG007@13', 'RG006@36'],
    },
    // A quote: its line.
    {
      broken: MODEL.replace('        y = F.relu(y)\n', "        y = F.relu(y, '\n"),
      damaged: [[17, 18]],
      error: "`'` was never closed. Line 18 was",
      codes: ['RG007@13', 'RG006@34'],
    },
    // A class's docstring: the class.
    {
      broken: MODEL.replace('"""Residual block with stochastic depth."""', '"""Residual block with stochastic depth.'),
      damaged: [[5, 21]],
      error: '`class Block(nn.Module):` cannot be parsed here. Lines 6–21 were',
      codes: ['RG006@34'],
    },
  ];
  for (const { broken, damaged, error, codes: expected } of cases) {
    const file = new SourceFile(broken);
    try {
      assert.deepEqual(recover(file)?.damaged, damaged, error);
      const finding = syntaxErrorFinding(file)!;
      assert.ok(finding.message.includes(`${error} not checked; the rest of the file was checked.`), finding.message);
      assert.equal(finding.range.start.line, damaged[0][0], error);
    } finally {
      file.dispose();
    }
    assert.deepEqual(codes(broken), expected, error);
  }
});

test('an error that swallows nothing is analysed as parsed: its own line keeps its finding', () => {
  const broken = MODEL.replace('z = F.dropout(z, p=self.p)', 'z = F.dropout(z,[ p=self.p)');
  const file = new SourceFile(broken);
  try {
    assert.equal(recover(file), null);
  } finally {
    file.dispose();
  }
  assert.deepEqual(codes(broken), ['RG007@13', 'RG006@34']);
});

test('typing into an unclosed bracket re-checks only the class typed in', () => {
  const file = new SourceFile(MODEL);
  const analyzer = new Analyzer(rules);
  const all = new RuleSelection({});
  try {
    const block = analyzer.rawFindings(file).find((f) => f.code === 'RG007')!;
    // The line the language-server benchmark types, key by key, into Head.forward.
    let character = 0;
    file.applyChange({ start: { line: 34, character: 0 }, end: { line: 34, character: 0 } }, '\n');
    for (const key of '        y = torch.cat([self.drop(x), x], dim=1') {
      file.applyChange({ start: { line: 34, character }, end: { line: 34, character } }, key);
      character++;
      const findings = analyzer.rawFindings(file);
      // Block's finding is the one found before the bracket was opened: the file's context stayed, and only Head was
      // checked again.
      assert.ok(findings.includes(block), `${key}: ${findings.map((f) => f.code)}`);
    }
    assert.ok(file.hasSyntaxError);
    assert.deepEqual(recover(file)?.damaged, [[34, 35]]);
    // Closing the bracket mends the class, whose lines are parsed alone.
    const reparsed = file.statementsReparsed;
    file.applyChange({ start: { line: 34, character }, end: { line: 34, character } }, ')');
    assert.equal(file.statementsReparsed, reparsed + 1);
    assert.ok(!file.hasSyntaxError);
    assert.deepEqual(
      analyzer.analyze(file, all).map((f) => `${f.code}@${f.range.start.line}`),
      ['RG007@13', 'RG006@35'],
    );
  } finally {
    file.dispose();
  }
});

test('a syntax error says what CPython says: a bracket or string never closed, an indented first line', () => {
  const message = (text: string) => {
    const file = new SourceFile(text);
    try {
      const f = syntaxErrorFinding(file);
      return f && `${f.range.start.line + 1}:${f.range.start.character + 1} ${f.message.split('. ')[0]}`;
    } finally {
      file.dispose();
    }
  };
  const head = 'import torch.nn as nn\n\n\nclass A(nn.Module):\n    def f(self, x):\n';
  // At the end of the file, with nothing after it: tree-sitter's error starts at the first import. Of two brackets
  // left open, the first (CPython names the last).
  assert.equal(
    message(`${head}        return nn.functional.dropout(x, (0.1\n`),
    '6:37 Syntax error: `(` was never closed',
  );
  assert.equal(message(`${head}        y = [x,\n        return y\n`), '6:13 Syntax error: `[` was never closed');
  // A string inside the bracket ends first, as CPython's tokenizer finds it.
  assert.equal(message(`${head}        y = f(x, 'a\n        return y\n`), "6:18 Syntax error: `'` was never closed");
  assert.equal(message(`${head}        s = """never\n        return x\n`), '6:13 Syntax error: `"""` was never closed');
  // A snippet pasted from inside a class: tree-sitter reads it, Python does not.
  assert.equal(message('    x = nn.Dropout(0.1)\ny = 1\n'), '1:5 Syntax error: unexpected indent');
  assert.equal(message('# a comment\n\n        self.drop = nn.Dropout(p)\n'), '3:9 Syntax error: unexpected indent');
  // An earlier error stays the first.
  assert.equal(message('def f(:\n    pass\nx = (nn.Dropout(0.1)\n'), '1:7 Syntax error: `)` expected here');
  assert.equal(message('x = 1\n    # an indented comment\ny = 2\n'), null);
});

test('a `# noqa` after an unclosed string silences the finding its line keeps', () => {
  // From the CLI fuzzer (seed 596993873): an f-string left open in a helper, and attention that drops its logits
  // below it. The open string makes the first parse read the rest as string content, so the comments there are not
  // comments to it; the findings come from the text with the string's line blanked, and so do their `# noqa`.
  const attention = [
    'class Pooling(nn.Module):',
    '    def __init__(self, channels, dropout=0.1):',
    '        super().__init__()',
    '        self.key = nn.Linear(channels, channels)',
    '        self.dropout = dropout',
    '',
    '    def forward(self, x, queries):',
    '        s = torch.matmul(queries, self.key(x).transpose(-1, -2))',
    '        s = F.dropout(s, self.dropout, training=self.training)',
    '        s = torch.softmax(s, dim=-1)',
    '        return s @ x',
  ];
  const text = (tail: string) =>
    [
      'import torch',
      'import torch.nn as nn',
      'import torch.nn.functional as F',
      '',
      '',
      'def annotations(return_type_str):',
      '    arrow = f" -> {return_type_str}"',
      '    future_arrow = f" -> Future[{return_type_str',
      '',
      '',
      ...attention.map((l) => (l.includes('F.dropout') ? `${l}${tail}` : l)),
      '',
    ].join('\n');
  const codes = (source: string) => lintText(rules, source).map((f) => `${f.range.start.line + 1}:${f.code}`);
  assert.deepEqual(codes(text('')), ['19:RG009'], 'the finding below the open string stands');
  assert.deepEqual(codes(text('  # noqa: RG009')), []);
  assert.deepEqual(codes(text('  # expect: RG009  # noqa: RG009')), []);
  assert.deepEqual(codes(text('  # noqa: RG007')), ['19:RG009'], 'another code silences nothing here');
});
