// `reglens check --jobs N`: files checked on worker threads give the report the main thread gives, byte for byte, in
// every format, with the warnings and errors in the same order; findings that need the workspace index (classes
// imported from other files) included. A worker that fails or stops loses no file.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { BIN, BLOCK, CLEAN, makeTree, ONLY_RG006, parseJson, ROOT, read, runCli, summary } from './helpers';

// Each test checks the same files on the main thread and on workers: with the cache, the second run would check
// nothing (cache.test.ts tests the cache from workers).
process.env.REGLENS_NO_CACHE = '1';

const FEED_FORWARD = `import torch.nn as nn


class FeedForward(nn.Module):
    def __init__(self, dim, dropout=0.0):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return self.drop(self.fc(x))
`;

const PLAIN_ATTENTION = `import torch.nn as nn


class PlainAttention(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        return self.proj(x)
`;

/** A block of another file's classes: RG002 and RG010 fire only when they resolve through the index. */
const block = (name: string) => `import torch.nn as nn

from pkg import FeedForward
from .attention import PlainAttention


class ${name}(nn.Module):
    def __init__(self, dim, drop=0.1):
        super().__init__()
        self.attn = PlainAttention(dim)
        self.ff = FeedForward(dim, drop)
        self.ff_drop = nn.Dropout(drop)

    def forward(self, x):
        x = x + self.attn(x)
        x = x + self.ff_drop(self.ff(x))
        return x
`;

/** Twelve blocks over a package, and files that are not checked (a warning) or fail (an error) between them. */
function project(extra: Record<string, string | Buffer> = {}): string {
  const files: Record<string, string | Buffer> = {
    'pkg/__init__.py': 'from .layers import FeedForward\n',
    'pkg/layers.py': FEED_FORWARD,
    'pkg/attention.py': PLAIN_ATTENTION,
    'pkg/binary.py': Buffer.concat([Buffer.from('import torch\n'), Buffer.from([0, 1, 2])]),
    'pkg/deep.py': `import torch.nn as nn\ndrop = nn.Dropout(0.1)\nx = ${'('.repeat(3000)}1${')'.repeat(3000)}\n`,
    'other/model.py': BLOCK,
    'other/clean.py': CLEAN,
    'other/only.py': ONLY_RG006,
    'broken/pyproject.toml': '[tool.reglens]\nselect = ["RG999"]\n',
    'broken/a.py': ONLY_RG006,
    'broken/b.py': ONLY_RG006,
    ...extra,
  };
  for (let i = 0; i < 12; i++) files[`pkg/block_${String(i).padStart(2, '0')}.py`] = block(`Block${i}`);
  const dir = makeTree(files);
  fs.symlinkSync(path.join(dir, 'nowhere.py'), path.join(dir, 'pkg', 'gone.py'));
  return dir;
}

const FORMATS = ['text', 'json', 'sarif', 'github'];

describe('reglens check --jobs', () => {
  it('reports the same bytes with 2 and 3 worker threads as on the main thread, in every format', () => {
    const dir = project();
    for (const format of FORMATS) {
      const one = runCli(['check', '--format', format, '--jobs', '1', '.'], { cwd: dir });
      for (const jobs of ['2', '3']) {
        const many = runCli(['check', '--format', format, '--jobs', jobs, '.'], { cwd: dir });
        assert.equal(many.stdout, one.stdout, `--format ${format} --jobs ${jobs}: stdout`);
        assert.equal(many.stderr, one.stderr, `--format ${format} --jobs ${jobs}: stderr`);
        assert.equal(many.code, one.code, `--format ${format} --jobs ${jobs}: exit status`);
      }
    }
    // What the comparison covers: findings through the index, a warning, an error per cause, the counts.
    const r = runCli(['check', '--format', 'json', '--jobs', '2', '.'], { cwd: dir });
    assert.equal(r.code, 2);
    const found = summary(r.stdout);
    for (let i = 0; i < 12; i++)
      for (const at of ['15:17 RG002', '16:17 RG010'])
        assert.ok(found.includes(`pkg/block_${String(i).padStart(2, '0')}.py:${at}`), `${i} ${at}: ${found}`);
    const lines = [
      /^error: invalid configuration: .*broken[/\\]pyproject\.toml:2:11: .*"RG999", which matches no rule/,
      /^warning: pkg[/\\]binary\.py: not checked: binary file/,
      /^warning: pkg[/\\]deep\.py: not checked: it is nested more than/,
      /^error: pkg[/\\]gone\.py: no such file or directory$/,
      /^$/,
    ];
    const said = r.stderr.split('\n');
    assert.equal(said.length, lines.length, r.stderr);
    lines.forEach((line, i) => {
      assert.match(said[i], line);
    });
    assert.deepEqual(parseJson(r.stdout).summary, { checked: 18, skipped: 2, failed: 3 });
  });

  it('without --jobs (a worker per core, none for a tree this small), the report is the one of --jobs 1', () => {
    const dir = project();
    const byDefault = runCli(['check', '--format', 'json', '.'], { cwd: dir });
    const one = runCli(['check', '--format', 'json', '--jobs', '1', '.'], { cwd: dir });
    assert.equal(byDefault.stdout, one.stdout);
    assert.equal(byDefault.stderr, one.stderr);
  });

  it('reports a check that throws on a worker as the main thread reports it', () => {
    const dir = project({ 'pkg/throws.py': `${ONLY_RG006}# reglens-test: throw\n` });
    const env = { REGLENS_TEST_HOOKS: '1' };
    const one = runCli(['check', '--format', 'json', '--jobs', '1', '.'], { cwd: dir, env });
    const many = runCli(['check', '--format', 'json', '--jobs', '3', '.'], { cwd: dir, env });
    assert.match(one.stderr, /^error: pkg\/throws\.py: internal error while checking: test hook: this check throws$/m);
    assert.equal(many.stderr, one.stderr);
    assert.equal(many.stdout, one.stdout);
  });

  it('reports a file whose worker thread crashed, tried again alone, and checks every other file', () => {
    const dir = project({ 'pkg/crash.py': `${ONLY_RG006}# reglens-test: crash\n` });
    const env = { REGLENS_TEST_HOOKS: '1' };
    const r = runCli(['check', '--format', 'json', '--jobs', '2', '.'], { cwd: dir, env });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      new RegExp(
        '^error: pkg/crash\\.py: internal error while checking: the worker thread checking it stopped ' +
          '\\(test hook: this thread crashes\\)$',
        'm',
      ),
    );
    assert.equal(r.stderr.match(/crash/g)?.length, 2, r.stderr);
    // Every other file is reported as without the crashing one.
    const without = runCli(['check', '--format', 'json', '--jobs', '1', '.'], { cwd: project() });
    const { summary: counts } = parseJson(r.stdout);
    assert.deepEqual(counts, { ...parseJson(without.stdout).summary, failed: 4 });
    assert.deepEqual(summary(r.stdout), summary(without.stdout));
  });

  it('without the worker bundle beside the CLI, says so once and checks every file on the main thread', () => {
    const dir = project();
    fs.mkdirSync(path.join(dir, 'tool', 'bin'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'tool', 'dist'));
    fs.copyFileSync(BIN, path.join(dir, 'tool', 'bin', 'reglens.js'));
    for (const file of ['cli.js', 'tree-sitter.wasm', 'tree-sitter-python.wasm'])
      fs.copyFileSync(path.join(ROOT, 'dist', file), path.join(dir, 'tool', 'dist', file));
    const bin = path.join(dir, 'tool', 'bin', 'reglens.js');
    const one = runCli(['check', '--format', 'json', '--jobs', '1', 'pkg', 'other'], { cwd: dir });
    const r = runCli(['check', '--format', 'json', '--jobs', '2', 'pkg', 'other'], { cwd: dir, bin });
    assert.equal(r.stdout, one.stdout);
    assert.match(
      r.stderr,
      /^warning: worker threads cannot start: .*check-worker\.js.*; the main thread checks the 21 files left$/m,
    );
    assert.equal(r.stderr.replace(/^warning: worker threads .*\n/m, ''), one.stderr);
  });

  it('--fix stays on the main thread: a fixed file is indexed again before the next is checked', () => {
    const fixed = (jobs: string) => {
      const dir = project();
      const r = runCli(['check', '--format', 'json', '--fix', '--unsafe-fixes', '--jobs', jobs, '.'], { cwd: dir });
      const stderr = r.stderr.replaceAll(dir, '<dir>');
      return { r, stderr, blocks: read(dir, 'pkg/block_00.py'), model: read(dir, 'other/model.py') };
    };
    const one = fixed('1');
    const many = fixed('3');
    assert.equal(many.r.stdout, one.r.stdout);
    assert.equal(many.stderr, one.stderr);
    assert.equal(many.blocks, one.blocks);
    assert.equal(many.model, one.model);
    assert.notEqual(one.blocks, block('Block0'), 'something was fixed');
  });

  it('--diff, which writes nothing, checks on workers and prints the patch of --jobs 1', () => {
    const dir = project();
    const one = runCli(['check', '--diff', '--unsafe-fixes', '--jobs', '1', '.'], { cwd: dir });
    const many = runCli(['check', '--diff', '--unsafe-fixes', '--jobs', '3', '.'], {
      cwd: dir,
      env: { REGLENS_TRACE_CHECK: '1' },
    });
    assert.match(many.stderr, /^trace: 3 workers ready after /m);
    assert.equal(many.stdout, one.stdout);
    assert.equal(many.stderr.replace(/^trace: .*\n/gm, ''), one.stderr);
    assert.equal(many.code, one.code);
    assert.match(one.stdout, /^\+\+\+ pkg\/block_00\.py$/m);
    assert.equal(read(dir, 'pkg/block_00.py'), block('Block0'), 'nothing written');
  });

  it('exits 2 with one clear line for a bad --jobs', () => {
    const dir = makeTree({ 'a.py': ONLY_RG006 });
    for (const value of ['0', '-1', 'two', '1.5', '', '2x']) {
      const r = runCli(['check', '--jobs', value, 'a.py'], { cwd: dir });
      assert.equal(r.code, 2, value);
      assert.equal(r.stdout, '');
      assert.equal(
        r.stderr,
        `error: --jobs needs a whole number of worker threads, 1 or more, not "${value}"\n`,
        `--jobs ${value}`,
      );
    }
    const missing = runCli(['check', 'a.py', '--jobs'], { cwd: dir });
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, 'error: --jobs needs a value (see `reglens check --help`)\n');
    const short = runCli(['check', '-j', '2', '--format', 'json', 'a.py'], { cwd: dir });
    assert.deepEqual(summary(short.stdout), ['a.py:6:16 RG006'], short.stderr);
  });
});
