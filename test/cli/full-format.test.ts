// `reglens check --output-format full`: each finding's code, its range underlined, and its fix, as Ruff's full format.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BLOCK, makeTree, runCli } from './helpers';

const full = (args: string[], cwd: string, input?: string) =>
  runCli(['check', '--output-format', 'full', ...args], { cwd, input });

/** A cell of a notebook whose cells are these sources (a markdown cell first). */
function notebook(...sources: string[]): string {
  const cells = [
    { cell_type: 'markdown', metadata: {}, source: ['# Notes'] },
    ...sources.map((s) => ({ cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: [s] })),
  ];
  return JSON.stringify({ cells, metadata: {}, nbformat: 4, nbformat_minor: 5 });
}

describe('reglens check --output-format full', () => {
  it('shows each finding in its code: the range underlined, its code, the fix, then the usual summary', () => {
    const dir = makeTree({ 'model.py': BLOCK });
    const r = full(['model.py'], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(
      r.stdout,
      [
        'model.py:8:9: RG007 warning: `self.drop` (Dropout) is created in `__init__` but never used, so it ' +
          'regularizes nothing.',
        '   |',
        ' 6 |         super().__init__()',
        ' 7 |         self.fc = nn.Linear(dim, dim)',
        ' 8 |         self.drop = nn.Dropout(0.1)',
        '   |         ^^^^^^^^^^^^^^^^^^^^^^^^^^^ RG007',
        ' 9 |',
        '10 |     def forward(self, x):',
        '   |',
        '   = help: Remove the unused `self.drop`',
        '',
        'model.py:11:13: RG006 warning: [*] `F.dropout` drops values in evaluation too: its `training` argument ' +
          'defaults to True. Pass `training=self.training`.',
        '   |',
        '10 |     def forward(self, x):',
        '11 |         x = F.dropout(x, 0.1)',
        '   |             ^^^^^^^^^^^^^^^^^ RG006',
        '12 |         return self.fc(x)',
        '   |',
        '   = help: Pass `training=self.training`',
        '',
        'Found 2 problems.',
        '[*] 1 fixable with the --fix option.',
        '(1 hidden fix can be enabled with the --unsafe-fixes option.)',
        'Checked 1 file.',
        '',
      ].join('\n'),
    );
  });

  it('underlines every line of a multi-line range, and leaves out the middle of a long one', () => {
    const short = BLOCK.replace('self.drop = nn.Dropout(0.1)', 'self.drop = nn.Dropout(\n            0.1,\n        )');
    const long = BLOCK.replace(
      'self.drop = nn.Dropout(0.1)',
      `self.drop = nn.Dropout(\n${'            # why\n'.repeat(8)}            0.1,\n        )`,
    );
    const dir = makeTree({ 'short.py': short, 'long.py': long });
    const lines = (file: string) => full(['--select', 'RG007', file], dir).stdout.split('\n');
    const a = lines('short.py');
    assert.deepEqual(a.slice(4, 11), [
      ' 8 |         self.drop = nn.Dropout(',
      '   |         ^^^^^^^^^^^^^^^^^^^^^^^',
      ' 9 |             0.1,',
      '   |             ^^^^',
      '10 |         )',
      '   |         ^ RG007',
      '11 |',
    ]);
    const b = lines('long.py');
    // Lines 8 to 18: the first three and the last three, the five between left out.
    assert.deepEqual(
      b.filter((l) => /^ *(\d+|\.+) \|/.test(l)).map((l) => l.split('|')[0].trim()),
      ['6', '7', '8', '9', '10', '..', '16', '17', '18', '19', '20'],
    );
    assert.equal(b.filter((l) => l.endsWith(' RG007')).length, 1);
    assert.match(b[b.findIndex((l) => l.startsWith('18 |')) + 1], /^ {3}\| {9}\^ RG007$/);
  });

  it('keeps tabs under tabs, and shows the part of a very long line where the finding is', () => {
    const tabs = BLOCK.replace('        x = F.dropout(x, 0.1)', '\t\tx = F.dropout(x, 0.1)');
    const wide = BLOCK.replace('x = F.dropout(x, 0.1)', `x = ("${'a'.repeat(3000)}", F.dropout(x, 0.1))[1]`);
    const dir = makeTree({ 'tabs.py': tabs, 'wide.py': wide });
    const t = full(['--select', 'RG006', 'tabs.py'], dir).stdout.split('\n');
    assert.equal(t[t.findIndex((l) => l.startsWith('11 |')) + 1], '   | \t\t    ^^^^^^^^^^^^^^^^^ RG006');
    const w = full(['--select', 'RG006', 'wide.py'], dir).stdout.split('\n');
    const line = w.find((l) => l.startsWith('11 |'))!;
    const carets = w[w.indexOf(line) + 1];
    assert.ok(line.length < 220, `${line.length} characters shown`);
    assert.match(line, /^11 \| …a+", F\.dropout\(x, 0\.1\)\)\[1\]$/);
    assert.equal(carets.indexOf('^'), line.indexOf('F.dropout'), `${line}\n${carets}`);
  });

  it('after --fix, shows the fixed code the remaining findings lie in', () => {
    // RG008 (a rate over 1) has no fix; the line above it is RG006's, which --fix mends.
    const text = BLOCK.replace(
      '        return self.fc(x)',
      '        return F.dropout(self.fc(x), 1.5, training=self.training)',
    );
    const dir = makeTree({ 'model.py': text });
    const r = full(['--fix', 'model.py'], dir);
    assert.equal(r.code, 1);
    const rg008 = r.stdout.split('\n\n').find((block) => block.startsWith('model.py:12:38: RG008'))!;
    assert.deepEqual(rg008.split('\n').slice(2, 6), [
      '10 |     def forward(self, x):',
      '11 |         x = F.dropout(x, 0.1, training=self.training)',
      '12 |         return F.dropout(self.fc(x), 1.5, training=self.training)',
      '   |                                      ^^^ RG008',
    ]);
    assert.match(r.stdout, /Found 3 problems \(1 fixed, 2 remaining\)\./);
  });

  it("numbers a notebook finding's lines in its cell", () => {
    const cell = [
      'import torch.nn as nn',
      'import torch.nn.functional as F',
      '',
      'class Head(nn.Module):',
      '    def forward(self, x):',
      '        return F.dropout(x, 0.1)',
      '',
    ].join('\n');
    const dir = makeTree({ 'nb.ipynb': notebook('%matplotlib inline\n', cell) });
    const r = full(['nb.ipynb'], dir);
    assert.ok(r.stdout.startsWith('nb.ipynb:cell 3:6:16: RG006'), r.stdout);
    assert.ok(
      r.stdout.includes(
        '4 | class Head(nn.Module):\n5 |     def forward(self, x):\n6 |         return F.dropout(x, 0.1)\n' +
          '  |                ^^^^^^^^^^^^^^^^^ RG006\n',
      ),
      r.stdout,
    );
  });

  it('reads the same from stdin and on worker threads as on the main thread', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 40; i++) files[`m${String(i).padStart(2, '0')}.py`] = BLOCK;
    const dir = makeTree(files);
    const one = full(['-j', '1', '.'], dir);
    const two = full(['-j', '2', '.'], dir);
    assert.equal(two.stdout, one.stdout);
    assert.equal(one.stdout.split('RG006\n').length - 1, 40);
    const stdin = full(['--stdin-filename', 'm00.py'], dir, BLOCK);
    assert.equal(stdin.stdout, full(['m00.py'], dir).stdout);
  });

  it('is a usage error with --statistics or --diff, which print something else', () => {
    const dir = makeTree({ 'model.py': BLOCK });
    for (const flag of ['--statistics', '--diff']) {
      const r = full([flag, 'model.py'], dir);
      assert.equal(r.code, 2, flag);
      assert.match(r.stderr, /full/, flag);
    }
  });
});
