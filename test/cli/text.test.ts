import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { BIN, BLOCK, CLEAN, makeTree, ONLY_RG006, runCli } from './helpers';

// biome-ignore lint/suspicious/noControlCharactersInRegex: the text report's colours are ANSI escapes
const ANSI = /\u001b\[[0-9;]*m/;

describe('reglens check (text output)', () => {
  it('prints path:line:col: CODE severity: [*] message lines, the Ruff-style summary and what was checked', () => {
    const dir = makeTree({ 'model.py': BLOCK });
    const r = runCli(['check', 'model.py'], { cwd: dir });
    assert.equal(r.code, 1);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 6, r.stdout);
    assert.match(lines[0], /^model\.py:8:9: RG007 warning: `self\.drop` .+$/);
    assert.doesNotMatch(lines[0], /\[\*\]/, 'an unsafe fix is not marked fixable');
    assert.match(lines[1], /^model\.py:11:13: RG006 warning: \[\*\] `F\.dropout` .+$/);
    assert.deepEqual(lines.slice(2), [
      'Found 2 problems.',
      '[*] 1 fixable with the --fix option.',
      '(1 hidden fix can be enabled with the --unsafe-fixes option.)',
      'Checked 1 file.',
    ]);
    assert.doesNotMatch(r.stdout, ANSI, 'no colour when stdout is not a terminal');
  });

  it('says "All checks passed!" with the number of files, and exits 0 when clean', () => {
    const dir = makeTree({ 'clean.py': CLEAN, 'only.py': CLEAN });
    const r = runCli(['check', '.'], { cwd: dir });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'All checks passed! (2 files)\n');
  });

  it('never says "passed" when a file was not checked: skipped, unreadable and missing files are counted', () => {
    const dir = makeTree({ 'clean.py': CLEAN, 'blob.py': 'import torch\u0000\n' });
    const skipped = runCli(['check', '.'], { cwd: dir });
    assert.equal(skipped.code, 0, 'a skipped file is a warning');
    assert.match(skipped.stderr, /^warning: blob\.py: not checked: binary file/m);
    assert.equal(skipped.stdout, 'No problems found in 1 file; 1 file not checked (see the messages above).\n');
    const missing = runCli(['check', 'clean.py', 'gone.py'], { cwd: dir });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^error: gone\.py: no such file or directory$/m);
    assert.equal(missing.stdout, 'No problems found in 1 file; 1 error (see the messages above).\n');
    const nothing = runCli(['check', 'blob.py'], { cwd: dir });
    assert.equal(nothing.stdout, 'Nothing was checked; 1 file not checked (see the messages above).\n');
  });

  it('reports a syntax error as an RG000 finding that says what was still checked', () => {
    const source = `${ONLY_RG006}\n\ndef broken(:\n    pass\n`;
    const dir = makeTree({ 'broken.py': source });
    const r = runCli(['check', 'broken.py'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^broken\.py:\d+:\d+: RG000 error: Syntax error: .+ checked\.$/m);
    assert.match(r.stdout, /^broken\.py:\d+:\d+: RG006 warning: /m, 'the rest of the file is still checked');
    const selected = runCli(['check', '--select', 'RG007', 'broken.py'], { cwd: dir });
    assert.match(selected.stdout, / RG000 error: /, 'a syntax error is reported whatever rules are selected');
  });

  it('uses the singular for one problem and omits the hidden-fix line without unsafe fixes', () => {
    const dir = makeTree({ 'only.py': ONLY_RG006 });
    const r = runCli(['check', 'only.py'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.deepEqual(r.stdout.trimEnd().split('\n').slice(1), [
      'Found 1 problem.',
      '[*] 1 fixable with the --fix option.',
      'Checked 1 file.',
    ]);
  });

  it('counts unsafe fixes as fixable under --unsafe-fixes, and names both options', () => {
    const dir = makeTree({ 'model.py': BLOCK });
    const r = runCli(['check', '--unsafe-fixes', 'model.py'], { cwd: dir });
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^model\.py:8:9: RG007 warning: \[\*\] /);
    assert.deepEqual(lines.slice(2), [
      'Found 2 problems.',
      '[*] 2 fixable with the --fix and --unsafe-fixes options.',
      'Checked 1 file.',
    ]);
  });

  const hasScript = spawnSync('script', ['--version']).status === 0;
  /** Runs the CLI under a pseudo-terminal (util-linux `script`), so that stdout is a TTY. */
  const inTerminal = (dir: string, env: NodeJS.ProcessEnv) => {
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} check model.py`;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {
      cwd: dir,
      env: { ...env, FORCE_COLOR: undefined },
      encoding: 'utf8',
    });
    return r.stdout;
  };

  it('colours the output on a terminal, unless NO_COLOR is set', {
    skip: !hasScript && 'util-linux `script` is not installed',
  }, () => {
    const dir = makeTree({ 'model.py': BLOCK });
    const env = { ...process.env };
    delete env.NO_COLOR;
    const coloured = inTerminal(dir, env);
    assert.ok(coloured.includes('\u001b[1;33mRG006\u001b[0m'), coloured);
    assert.ok(coloured.includes('\u001b[36m[*]\u001b[0m'), coloured);
    const plain = inTerminal(dir, { ...env, NO_COLOR: '1' });
    assert.match(plain, /model\.py:11:13: RG006 warning: \[\*\] /);
    assert.doesNotMatch(plain, ANSI);
  });
});
