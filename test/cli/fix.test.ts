import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { BLOCK, BLOCK_ALL_FIXED, BLOCK_SAFE_FIXED, CLEAN, makeTree, parseJson, read, runCli, summary } from './helpers';

describe('reglens check --fix', () => {
  it('applies safe fixes in place and reports what remains', () => {
    const dir = makeTree({ 'model.py': BLOCK });
    const r = runCli(['check', '--fix', 'model.py'], { cwd: dir });
    assert.equal(r.code, 1, 'the unsafe-fix finding remains');
    assert.equal(read(dir, 'model.py'), BLOCK_SAFE_FIXED);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^model\.py:8:9: RG007 /);
    assert.deepEqual(lines.slice(1), [
      'Found 2 problems (1 fixed, 1 remaining).',
      '(1 hidden fix can be enabled with the --unsafe-fixes option.)',
      'Checked 1 file.',
    ]);

    // A second check finds only the finding whose fix is unsafe.
    const again = runCli(['check', '--format', 'json', 'model.py'], { cwd: dir });
    const left = parseJson(again.stdout).diagnostics;
    assert.deepEqual(
      left.map((d) => `${d.line}:${d.column} ${d.code} ${d.fix?.applicability}`),
      ['8:9 RG007 unsafe'],
    );

    // Fixing again changes nothing.
    const before = fs.statSync(path.join(dir, 'model.py')).mtimeMs;
    const third = runCli(['check', '--fix', 'model.py'], { cwd: dir });
    assert.equal(third.code, 1);
    assert.equal(read(dir, 'model.py'), BLOCK_SAFE_FIXED);
    assert.equal(fs.statSync(path.join(dir, 'model.py')).mtimeMs, before, 'the file is not rewritten');
    assert.match(third.stdout, /^Found 1 problem\.$/m);
  });

  it('--fix --unsafe-fixes applies unsafe fixes too', () => {
    const dir = makeTree({ 'model.py': BLOCK });
    const r = runCli(['check', '--fix', '--unsafe-fixes', 'model.py'], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(read(dir, 'model.py'), BLOCK_ALL_FIXED);
    assert.equal(r.stdout, 'Found 2 problems (2 fixed, 0 remaining).\nChecked 1 file.\n');
    const again = runCli(['check', 'model.py'], { cwd: dir });
    assert.equal(again.code, 0);
    assert.equal(again.stdout, 'All checks passed! (1 file)\n');
  });

  it('reports the remaining findings at their positions in the fixed file (JSON)', () => {
    const dir = makeTree({ 'a/model.py': BLOCK, 'b/clean.py': CLEAN });
    const r = runCli(['check', '--fix', '--format', 'json', '.'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.deepEqual(summary(r.stdout), ['a/model.py:8:9 RG007']);
    assert.equal(read(dir, 'b/clean.py'), CLEAN);
  });

  it('only fixes enabled rules', () => {
    const dir = makeTree({ 'pyproject.toml': '[tool.reglens]\nignore = ["RG006"]\n', 'model.py': BLOCK });
    const r = runCli(['check', '--fix', '--unsafe-fixes', 'model.py'], { cwd: dir });
    assert.equal(r.code, 0);
    assert.equal(read(dir, 'model.py'), BLOCK.replace('        self.drop = nn.Dropout(0.1)\n', ''));
  });

  it('keeps a byte order mark and CRLF line endings', () => {
    const crlf = `\ufeff${BLOCK.replace(/\n/g, '\r\n')}`;
    const dir = makeTree({ 'model.py': crlf });
    const check = runCli(['check', '--format', 'json', 'model.py'], { cwd: dir });
    assert.deepEqual(summary(check.stdout), ['model.py:8:9 RG007', 'model.py:11:13 RG006']);
    runCli(['check', '--fix', 'model.py'], { cwd: dir });
    assert.equal(read(dir, 'model.py'), `\ufeff${BLOCK_SAFE_FIXED.replace(/\n/g, '\r\n')}`);
  });
});
