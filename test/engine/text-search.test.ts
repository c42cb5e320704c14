import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { Analyzer } from '../../server/engine/analyze';
import { RuleSelection } from '../../server/engine/config';
import { initParser, SourceFile } from '../../server/engine/parser';
import { maxMatchLength, TextMentions } from '../../server/engine/text-search';
import { rules } from '../../server/rules';

before(() => initParser());

/** A deterministic pseudo-random sequence, so a failure can be replayed. */
function* rng(seed: number): Generator<number> {
  for (;;) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    yield seed / 2 ** 31;
  }
}

const PATTERNS = [
  /noqa/i,
  /symbolic_trace|to_hetero/,
  /no_grad|inference_mode|\.eval\(|def (eval|valid|test|predict|infer)/i,
  /noqa/gi,
  // Unbounded or reading context: searched in the whole text every time.
  /#\s*noqa/i,
  /\beval\b/,
];

// Pieces that make and break matches when edits cut them up and join them.
const PIECES = ['noqa', 'NoQ', 'a', 'symbolic_', 'trace', 'to_het', 'ero', 'def ', 'eval(', '.', '#', ' ', '\n', 'x'];

test('after any sequence of edits, mentions answers what searching the whole text answers', () => {
  const random = rng(20261206);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random.next().value! * items.length)];
  const piece = (n: number) => Array.from({ length: n }, () => pick(PIECES)).join('');
  for (let round = 0; round < 40; round++) {
    let text = piece(200);
    const mentions = new TextMentions();
    for (let edit = 0; edit < 150; edit++) {
      const start = Math.floor(random.next().value! * (text.length + 1));
      const oldEnd = Math.min(text.length, start + Math.floor(random.next().value! * 12));
      const inserted = random.next().value! < 0.3 ? '' : piece(1 + Math.floor(random.next().value! * 4));
      text = text.slice(0, start) + inserted + text.slice(oldEnd);
      mentions.edited(text, start, oldEnd, start + inserted.length);
      // Asked after some edits only, so that several edits also pile up between questions.
      if (random.next().value! < 0.5) continue;
      for (const pattern of PATTERNS) {
        pattern.lastIndex = 0;
        const expected = pattern.test(text);
        assert.equal(mentions.mentions(text, pattern), expected, `${pattern} in ${JSON.stringify(text)}`);
      }
    }
  }
});

test('only patterns whose matches are short and read no context are searched around edits', () => {
  assert.equal(maxMatchLength(/noqa/i), 4);
  for (const unbounded of [/#\s*noqa/, /a+/, /x{2}/, /^def/, /\beval/, /(?<=x)y/, /(a)\1/, /noqa/u, /a$/m])
    assert.equal(maxMatchLength(unbounded), null, String(unbounded));
});

test('a noqa comment added by an edit silences its line, and removing it brings the finding back', () => {
  const line = '        return F.dropout(x, 0.1)';
  const text = [
    'import torch.nn as nn',
    'import torch.nn.functional as F',
    'class A(nn.Module):',
    '    def forward(self, x):',
    line,
    '',
  ].join('\n');
  const file = new SourceFile(text);
  try {
    const analyzer = new Analyzer(rules);
    const selection = new RuleSelection({});
    const codes = () => analyzer.analyze(file, selection).map((f) => `${f.code}@${f.range.start.line}`);
    assert.deepEqual(codes(), ['RG006@4']);
    const end = { line: 4, character: line.length };
    file.applyChange({ start: end, end }, '  # noqa: RG006');
    assert.deepEqual(codes(), []);
    file.applyChange({ start: end, end: { line: 4, character: end.character + '  # noqa: RG006'.length } }, '');
    assert.deepEqual(codes(), ['RG006@4']);
  } finally {
    file.dispose();
  }
});
