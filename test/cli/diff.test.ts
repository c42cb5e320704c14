// `reglens check --diff`: the fixes --fix would make, as a patch on stdout; nothing is written.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { CELLS, notebookJson } from '../notebooks/fixtures';
import { BLOCK, BLOCK_ALL_FIXED, BLOCK_SAFE_FIXED, CLEAN, makeTree, read, runCli } from './helpers';

describe('reglens check --diff', () => {
  it('prints the safe fixes as a patch that applies to what --fix writes, and writes nothing', () => {
    const dir = makeTree({ 'model.py': BLOCK, 'clean.py': CLEAN });
    const r = runCli(['check', '--diff', '.'], { cwd: dir });
    assert.equal(r.code, 1, 'a fix would change the file');
    assert.equal(read(dir, 'model.py'), BLOCK, 'nothing is written');
    assert.equal(
      r.stdout,
      [
        '--- model.py',
        '+++ model.py',
        '@@ -8,5 +8,5 @@',
        '         self.drop = nn.Dropout(0.1)',
        ' ',
        '     def forward(self, x):',
        '-        x = F.dropout(x, 0.1)',
        '+        x = F.dropout(x, 0.1, training=self.training)',
        '         return self.fc(x)',
        '',
      ].join('\n'),
    );
    assert.equal(
      r.stderr,
      'Would fix 1 problem in 1 file.\n' +
        '1 problem would remain (`reglens check` without --diff lists them).\n' +
        '(1 hidden fix can be enabled with the --unsafe-fixes option.)\n' +
        'Checked 2 files.\n',
    );
    const applied = spawnSync('git', ['apply', '-p0', '-'], { cwd: dir, input: r.stdout, encoding: 'utf8' });
    assert.equal(applied.status, 0, applied.stderr);
    assert.equal(read(dir, 'model.py'), BLOCK_SAFE_FIXED);

    const again = runCli(['check', '--diff', '.'], { cwd: dir });
    assert.equal(again.code, 0, 'what is left has no safe fix');
    assert.equal(again.stdout, '');
    assert.match(again.stderr, /^No problems would be fixed\.\n1 problem would remain/);
  });

  it('with --unsafe-fixes shows the unsafe fixes too; with --fix it still writes nothing', () => {
    const dir = makeTree({ 'model.py': BLOCK });
    const r = runCli(['check', '--diff', '--fix', '--unsafe-fixes', 'model.py'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.equal(read(dir, 'model.py'), BLOCK);
    assert.match(r.stdout, /^- {8}self\.drop = nn\.Dropout\(0\.1\)$/m);
    assert.match(r.stdout, /^\+ {8}x = F\.dropout\(x, 0\.1, training=self\.training\)$/m);
    assert.equal(r.stderr, 'Would fix 2 problems in 1 file.\nChecked 1 file.\n');
    const applied = spawnSync('git', ['apply', '-p0', '-'], { cwd: dir, input: r.stdout, encoding: 'utf8' });
    assert.equal(applied.status, 0, applied.stderr);
    assert.equal(read(dir, 'model.py'), BLOCK_ALL_FIXED);
  });

  it('shows a notebook as the cells that change, numbered as the report numbers them', () => {
    const notebook = notebookJson(CELLS);
    const dir = makeTree({ 'train.ipynb': notebook });
    const r = runCli(['check', '--diff', 'train.ipynb'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.equal(read(dir, 'train.ipynb'), notebook);
    const labels = r.stdout.split('\n').filter((l) => l.startsWith('--- ') || l.startsWith('+++ '));
    assert.deepEqual(labels, [
      '--- train.ipynb:cell 6',
      '+++ train.ipynb:cell 6',
      '--- train.ipynb:cell 8',
      '+++ train.ipynb:cell 8',
    ]);
    assert.match(r.stdout, /^\+.*F\.dropout\(.*training=self\.training\)$/m);
    // The cells of the report: RG006 in cell 6 and RG011 in cell 8 are the safe fixes.
    const report = runCli(['check', 'train.ipynb'], { cwd: dir });
    assert.match(report.stdout, /^train\.ipynb:cell 6:4:16: RG006 /m);
    assert.match(report.stdout, /^train\.ipynb:cell 8:4:9: RG011 /m);
  });

  it('prints nothing and exits 0 when no fix applies', () => {
    const dir = makeTree({ 'clean.py': CLEAN });
    const r = runCli(['check', '--diff', '.'], { cwd: dir });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'No problems would be fixed.\nAll checks passed! (1 file)\n');
  });

  it('diffs stdin under its --stdin-filename', () => {
    const dir = makeTree({});
    const r = runCli(['check', '--diff', '--stdin-filename', 'pkg/model.py'], { cwd: dir, input: BLOCK });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^--- pkg\/model\.py\n\+\+\+ pkg\/model\.py\n@@ /);
  });

  it('refuses the combinations it cannot honour', () => {
    const dir = makeTree({ 'model.py': BLOCK });
    const json = runCli(['check', '--diff', '--format', 'json', 'model.py'], { cwd: dir });
    assert.equal(json.code, 2);
    assert.match(json.stderr, /--diff prints a diff; it cannot be combined with --output-format json/);
    const noqa = runCli(['check', '--diff', '--add-noqa', 'model.py'], { cwd: dir });
    assert.equal(noqa.code, 2);
    assert.match(noqa.stderr, /--add-noqa silences findings instead of fixing them; it cannot be combined with --diff/);
    assert.equal(read(dir, 'model.py'), BLOCK);
  });
});
