import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { BLOCK, BLOCK_ALL_FIXED, BLOCK_SAFE_FIXED, CLEAN, makeTree, runCli, summary } from './helpers';

describe('reglens check --stdin-filename', () => {
  it('reads the source from stdin and reports it under the given name', () => {
    const dir = makeTree({});
    const r = runCli(['check', '--format', 'json', '--stdin-filename', 'pkg/model.py'], { cwd: dir, input: BLOCK });
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(summary(r.stdout), ['pkg/model.py:8:9 RG007', 'pkg/model.py:11:13 RG006']);
    const text = runCli(['check', '--stdin-filename', 'model.py'], { cwd: dir, input: CLEAN });
    assert.equal(text.code, 0);
    assert.equal(text.stdout, 'All checks passed! (1 file)\n');
  });

  it('with --fix prints the fixed source to stdout and the report to stderr, writing no file', () => {
    const dir = makeTree({});
    const r = runCli(['check', '--fix', '--stdin-filename', 'model.py'], { cwd: dir, input: BLOCK });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, BLOCK_SAFE_FIXED);
    assert.match(r.stderr, /^model\.py:8:9: RG007 /m);
    assert.match(r.stderr, /Found 2 problems \(1 fixed, 1 remaining\)\./);
    assert.ok(!fs.existsSync(path.join(dir, 'model.py')));

    const all = runCli(['check', '--fix', '--unsafe-fixes', '--stdin-filename', 'model.py'], {
      cwd: dir,
      input: BLOCK,
    });
    assert.equal(all.code, 0);
    assert.equal(all.stdout, BLOCK_ALL_FIXED);

    const clean = runCli(['check', '--fix', '--stdin-filename', 'model.py'], { cwd: dir, input: CLEAN });
    assert.equal(clean.code, 0);
    assert.equal(clean.stdout, CLEAN, 'unchanged source is echoed');
  });

  it('picks the configuration by the given name', () => {
    const dir = makeTree({
      'pkg/pyproject.toml': '[tool.reglens]\n[tool.reglens.per-file-ignores]\n"model.py" = ["RG007"]\n',
    });
    const inPkg = runCli(['check', '--format', 'json', '--stdin-filename', 'pkg/model.py'], { cwd: dir, input: BLOCK });
    assert.deepEqual(summary(inPkg.stdout), ['pkg/model.py:11:13 RG006']);
    const elsewhere = runCli(['check', '--format', 'json', '--stdin-filename', 'other/model.py'], {
      cwd: dir,
      input: BLOCK,
    });
    assert.deepEqual(summary(elsewhere.stdout), ['other/model.py:8:9 RG007', 'other/model.py:11:13 RG006']);
  });

  it('cannot be combined with paths', () => {
    const dir = makeTree({ 'a.py': BLOCK });
    const r = runCli(['check', '--stdin-filename', 'x.py', 'a.py'], { cwd: dir, input: BLOCK });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: --stdin-filename .*cannot be combined with paths/);
  });
});
