// `reglens check DIR` resolves across the files it checks, with the same index as the editor.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { runCli, summary } from '../cli/helpers';
import { copyFixture, expected } from './helpers';

function expectedIn(folder: string, rel: string): string[] {
  return expected(path.join(folder, ...rel.split('/'))).map((e) => {
    const [line, code] = e.split(':');
    return `${rel}:${line} ${code}`;
  });
}

test('check DIR: findings that need other files, and the excluded folder left out', () => {
  const folder = copyFixture('project');
  const r = runCli(['check', '.', '--format', 'json'], { cwd: folder });
  const found = summary(r.stdout).map((s) => s.replace(/:\d+ /, ' '));
  assert.deepEqual(found, expectedIn(folder, 'mypkg/blocks.py'), r.stderr);
  // `exclude = ["legacy"]`: named explicitly, the file is still checked (as Ruff does), and fires.
  const legacy = runCli(['check', 'legacy/old_block.py', '--format', 'json'], { cwd: folder });
  assert.deepEqual(
    summary(legacy.stdout).map((s) => s.split(' ')[1]),
    ['RG010'],
  );
});

test('check FILE: imports resolve into files beside it that were not named', () => {
  const folder = copyFixture('project');
  const r = runCli(['check', 'blocks.py', '--format', 'json'], { cwd: path.join(folder, 'mypkg') });
  assert.deepEqual(
    summary(r.stdout).map((s) => s.replace(/:\d+ /, ' ')),
    expectedIn(folder, 'mypkg/blocks.py').map((s) => s.replace('mypkg/', '')),
    r.stderr,
  );
});

test('check --fix applies the cross-file fix, and a second run finds it fixed', () => {
  const folder = copyFixture('project');
  runCli(['check', '.', '--fix', '--unsafe-fixes', '--select', 'RG002'], { cwd: folder });
  const blocks = fs.readFileSync(path.join(folder, 'mypkg', 'blocks.py'), 'utf8');
  assert.match(blocks, /Attention\(dim, proj_drop=drop\)/);
  const again = runCli(['check', '.', '--format', 'json', '--select', 'RG002'], { cwd: folder });
  assert.deepEqual(summary(again.stdout), [], again.stdout);
});

test('each folder of a multi-folder check uses its own pyproject.toml', () => {
  const folder = copyFixture('multi-root');
  const r = runCli(['check', 'alpha', 'beta', '--format', 'json'], { cwd: folder });
  // alpha selects only RG010 and fires it across files; beta ignores RG010 and keeps RG007.
  assert.deepEqual(
    summary(r.stdout).map((s) => s.replace(/:\d+ /, ' ')),
    [...expectedIn(folder, 'alpha/src/alpha_models/block.py'), ...expectedIn(folder, 'beta/beta_models/head.py')],
    r.stderr,
  );
});

test('a file too deep to parse is left out of the index, and every other file is still checked across files', () => {
  const folder = copyFixture('project');
  // Uses torch's dropout, so the index and the check parse it; nested far beyond what CPython accepts, so the
  // parser refuses it.
  fs.writeFileSync(
    path.join(folder, 'mypkg', 'aaa_deep.py'),
    `import torch.nn as nn\ndrop = nn.Dropout(0.1)\nx = ${'('.repeat(3000)}1${')'.repeat(3000)}\n`,
  );
  const r = runCli(['check', '.', '--format', 'json'], { cwd: folder });
  assert.match(r.stderr, /aaa_deep\.py: not checked: it is nested more than/);
  assert.equal(r.stderr.match(/not checked/g)?.length, 1, r.stderr);
  assert.deepEqual(
    summary(r.stdout).map((s) => s.replace(/:\d+ /, ' ')),
    expectedIn(folder, 'mypkg/blocks.py'),
    r.stderr,
  );
  const profiled = runCli(['profile', '--backend', 'cpu', '--shape', '2,4,8', 'mypkg/aaa_deep.py'], { cwd: folder });
  assert.match(profiled.stderr, /aaa_deep\.py: not profiled: it is nested more than/);
});
