import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { BIN, BLOCK, CLEAN, makeTree, ONLY_RG006, runCli } from './helpers';

// biome-ignore lint/suspicious/noControlCharactersInRegex: the text report's colours are ANSI escapes
const ANSI = /\u001b\[[0-9;]*m/;

describe('reglens check (text output)', () => {
  it('prints path:line:col: CODE [*] message lines and the Ruff-style summary', () => {
    const dir = makeTree({ 'model.py': BLOCK });
    const r = runCli(['check', 'model.py'], { cwd: dir });
    assert.equal(r.code, 1);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 5, r.stdout);
    assert.match(lines[0], /^model\.py:8:9: RG007 `self\.drop` .+$/);
    assert.doesNotMatch(lines[0], /\[\*\]/, 'an unsafe fix is not marked fixable');
    assert.match(lines[1], /^model\.py:11:13: RG006 \[\*\] `F\.dropout` .+$/);
    assert.deepEqual(lines.slice(2), [
      'Found 2 problems.',
      '[*] 1 fixable with the --fix option.',
      '(1 hidden fix can be enabled with the --unsafe-fixes option.)',
    ]);
    assert.doesNotMatch(r.stdout, ANSI, 'no colour when stdout is not a terminal');
  });

  it('says "All checks passed!" and exits 0 when clean', () => {
    const dir = makeTree({ 'clean.py': CLEAN });
    const r = runCli(['check', '.'], { cwd: dir });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'All checks passed!\n');
  });

  it('uses the singular for one problem and omits the hidden-fix line without unsafe fixes', () => {
    const dir = makeTree({ 'only.py': ONLY_RG006 });
    const r = runCli(['check', 'only.py'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.deepEqual(r.stdout.trimEnd().split('\n').slice(1), [
      'Found 1 problem.',
      '[*] 1 fixable with the --fix option.',
    ]);
  });

  it('counts unsafe fixes as fixable under --unsafe-fixes', () => {
    const dir = makeTree({ 'model.py': BLOCK });
    const r = runCli(['check', '--unsafe-fixes', 'model.py'], { cwd: dir });
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^model\.py:8:9: RG007 \[\*\] /);
    assert.deepEqual(lines.slice(2), ['Found 2 problems.', '[*] 2 fixable with the --fix option.']);
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
    assert.ok(coloured.includes('\u001b[1;31mRG006\u001b[0m'), coloured);
    assert.ok(coloured.includes('\u001b[36m[*]\u001b[0m'), coloured);
    const plain = inTerminal(dir, { ...env, NO_COLOR: '1' });
    assert.match(plain, /model\.py:11:13: RG006 \[\*\] /);
    assert.doesNotMatch(plain, ANSI);
  });
});
