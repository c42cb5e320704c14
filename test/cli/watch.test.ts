// `reglens check --watch`: the real CLI in a temp folder, its files changed under it as an editor would change them.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { BIN, BLOCK, CLEAN, makeTree, ONLY_RG006, read, runCli } from './helpers';

const WATCHING = 'Watching for file changes (Ctrl+C to stop).';

/** A `reglens check --watch` process and its output so far; `runs(n)` waits for the n-th report to end. */
function startWatch(dir: string, args: string[] = []) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  const child = spawn(process.execPath, [BIN, 'check', '--watch', ...args], { cwd: dir, env });
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  const onData = (text: string, to: 'out' | 'err') => {
    if (to === 'out') out += text;
    else err += text;
    for (const w of waiters.splice(0)) w();
  };
  child.stdout.setEncoding('utf8').on('data', (t: string) => onData(t, 'out'));
  child.stderr.setEncoding('utf8').on('data', (t: string) => onData(t, 'err'));
  const count = () => out.split(WATCHING).length - 1;
  return {
    /** The reports so far, each from its first line to its "Watching" line. */
    reports: () => out.split(`${WATCHING}\n`).slice(0, count()),
    runs: async (n: number) => {
      const deadline = Date.now() + 30_000;
      while (count() < n) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`no report ${n} (exit ${child.exitCode}); stdout:\n${out}\nstderr:\n${err}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
      return out.split(`${WATCHING}\n`)[n - 1];
    },
    count,
    /** The exit status and stderr once the process has ended by itself. */
    exited: () =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        if (child.exitCode !== null) resolve({ code: child.exitCode, stderr: err });
        else child.on('exit', (code) => resolve({ code, stderr: err }));
      }),
    stop: () => {
      child.kill('SIGTERM');
    },
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('reglens check --watch', () => {
  it('checks, then checks again when a source or pyproject.toml changes, and not for its own cache', async () => {
    const dir = makeTree({ 'model.py': ONLY_RG006 });
    const watch = startWatch(dir);
    try {
      const first = await watch.runs(1);
      assert.match(first, /Starting Reglens in watch mode/);
      assert.match(first, /^model\.py:6:16: RG006 warning: /m);
      assert.match(first, /^Checked 1 file\.$/m);
      // The first check wrote its cache; that is no reason to check again.
      await pause(1000);
      assert.equal(watch.count(), 1, 'no check without a change');

      fs.mkdirSync(path.join(dir, 'pkg'));
      fs.writeFileSync(path.join(dir, 'pkg', 'block.py'), BLOCK);
      const second = await watch.runs(2);
      assert.match(second, /File change detected: pkg\/block\.py\. Checking again/);
      assert.match(second, /^pkg\/block\.py:8:9: RG007 /m);
      assert.match(second, /^Found 3 problems\.$/m);

      fs.writeFileSync(path.join(dir, 'pyproject.toml'), '[tool.reglens]\nignore = ["RG006"]\n');
      const third = await watch.runs(3);
      assert.match(third, /File change detected: pyproject\.toml/);
      assert.doesNotMatch(third, /RG006/);
      assert.match(third, /^Found 1 problem\.$/m);

      // Files no check reads: a text file, and a Python file where the walk never looks.
      fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello\n');
      fs.mkdirSync(path.join(dir, 'node_modules', 'x'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'node_modules', 'x', 'a.py'), ONLY_RG006);
      await pause(1000);
      assert.equal(watch.count(), 3, 'no check for a change no check reads');

      // Fixing the file in place is seen too.
      fs.writeFileSync(path.join(dir, 'pkg', 'block.py'), CLEAN);
      const fourth = await watch.runs(4);
      assert.match(fourth, /All checks passed! \(2 files\)/);

      // A reglens.toml beside the pyproject.toml comes first.
      fs.writeFileSync(path.join(dir, 'reglens.toml'), 'select = ["RG006"]\n');
      const fifth = await watch.runs(5);
      assert.match(fifth, /File change detected: reglens\.toml/);
      assert.match(fifth, /^model\.py:6:16: RG006 /m);
    } finally {
      watch.stop();
    }
  });

  it('follows a configuration outside the watched folder that an edit made it extend', async () => {
    // A monorepo's shared settings above the project: the project's reglens.toml only starts to extend them later.
    const dir = makeTree({
      'base.toml': 'ignore = ["RG006"]\n',
      'project/reglens.toml': '',
      'project/model.py': ONLY_RG006,
    });
    const watch = startWatch(path.join(dir, 'project'));
    try {
      assert.match(await watch.runs(1), /^model\.py:6:16: RG006 /m);
      fs.writeFileSync(path.join(dir, 'project', 'reglens.toml'), 'extend = "../base.toml"\n');
      assert.match(await watch.runs(2), /All checks passed! \(1 file\)/);
      fs.writeFileSync(path.join(dir, 'base.toml'), 'ignore = []\n');
      const third = await watch.runs(3);
      assert.match(third, /File change detected: \.\.\/base\.toml/);
      assert.match(third, /^model\.py:6:16: RG006 /m);
    } finally {
      watch.stop();
    }
  });

  it('watches a file named on the command line, and only it', async () => {
    const dir = makeTree({ 'model.py': CLEAN, 'other.py': CLEAN });
    const watch = startWatch(dir, ['model.py']);
    try {
      assert.match(await watch.runs(1), /All checks passed! \(1 file\)/);
      fs.writeFileSync(path.join(dir, 'other.py'), ONLY_RG006);
      await pause(1000);
      assert.equal(watch.count(), 1);
      fs.writeFileSync(path.join(dir, 'model.py'), ONLY_RG006);
      assert.match(await watch.runs(2), /^model\.py:6:16: RG006 /m);
    } finally {
      watch.stop();
    }
  });

  it('stops with exit status 2, saying why, when a watched folder is removed', async () => {
    const dir = makeTree({ 'pkg/model.py': ONLY_RG006 });
    const watch = startWatch(dir, ['pkg']);
    try {
      await watch.runs(1);
      fs.rmSync(path.join(dir, 'pkg'), { recursive: true });
      const { code, stderr } = await watch.exited();
      assert.equal(code, 2);
      assert.match(stderr, /^error: stopped watching for file changes: pkg is no longer there$/m);
    } finally {
      watch.stop();
    }
  });

  it('says which options it cannot be combined with, and what it cannot watch', () => {
    const dir = makeTree({ 'model.py': BLOCK });
    for (const [args, phrase] of [
      [['--fix'], 'it cannot be combined with --fix'],
      [['--diff'], 'it cannot be combined with --diff'],
      [['--format', 'json'], '--watch prints text, full or grouped reports, not json'],
      [['--stdin-filename', 'x.py'], 'it cannot be combined with --stdin-filename'],
      [['missing.py'], 'missing.py: no such file or folder to watch'],
    ] as [string[], string][]) {
      const r = runCli(['check', '--watch', ...args], { cwd: dir });
      assert.equal(r.code, 2, args.join(' '));
      assert.ok(r.stderr.includes(phrase), `${args.join(' ')} → ${r.stderr}`);
    }
    assert.equal(read(dir, 'model.py'), BLOCK);
  });
});
