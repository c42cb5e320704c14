// The ways in that the README's Install section promises, run as a user runs them: the CLI installed from a packed
// tarball and run in another folder, and the pre-commit hook run by pre-commit itself from `.pre-commit-hooks.yaml`
// (language: node: pre-commit clones this repository, installs it with npm, which builds it, and runs the hook).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';

const ROOT = path.join(__dirname, '..', '..');
const MODEL = `import torch.nn as nn
import torch.nn.functional as F


class Head(nn.Module):
    def forward(self, x):
        return F.dropout(x, 0.1)
`;
const CLEAN = `import torch.nn as nn


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        return self.drop(x)
`;

const temp: string[] = [];
after(() => {
  for (const dir of temp) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `reglens-${name}-`));
  temp.push(dir);
  return dir;
}

function project(): string {
  const dir = tempDir('project');
  fs.writeFileSync(path.join(dir, 'model.py'), MODEL);
  fs.writeFileSync(path.join(dir, 'clean.py'), CLEAN);
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'F.dropout(x, 0.1)\n');
  return dir;
}

test('the CLI installs from `npm pack` and runs in another folder', () => {
  const packed = tempDir('pack');
  const tarball = execFileSync('npm', ['pack', '--pack-destination', packed], { cwd: ROOT, encoding: 'utf8' }).trim();
  const prefix = tempDir('prefix');
  execFileSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', path.join(packed, tarball)], {
    encoding: 'utf8',
    stdio: 'pipe',
  });
  const bin = path.join(prefix, 'node_modules', '.bin', 'reglens');
  const dir = project();
  const r = spawnSync(bin, ['check', '.'], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /^model\.py:7:16: RG006 warning: \[\*\] `F\.dropout` drops values in evaluation too/m);
  assert.match(r.stdout, /^Checked 2 files\.$/m);
  // The worker threads' bundle (dist/check-worker.js) ships beside the CLI's: no warning that they cannot start.
  const threads = spawnSync(bin, ['check', '--jobs', '2', '.'], { cwd: dir, encoding: 'utf8' });
  assert.equal(threads.stderr, '');
  assert.equal(threads.stdout, r.stdout);
});

const preCommit = spawnSync('pre-commit', ['--version'], { encoding: 'utf8' });
const noPreCommit =
  preCommit.status !== 0 && 'pre-commit is not installed (apt-get install pre-commit, as .ci/run does)';

test('the pre-commit hook, installed by pre-commit itself, reports the staged model files', {
  skip: noPreCommit,
}, () => {
  const dir = project();
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('init', '-q');
  git('add', '.');
  // Its own cache, so the hook is installed from this checkout as a user's first run installs it.
  const env = { ...process.env, PRE_COMMIT_HOME: tempDir('pre-commit-home'), PRE_COMMIT_COLOR: 'never' };
  const run = (...files: string[]) =>
    spawnSync('pre-commit', ['try-repo', ROOT, 'reglens', '--files', ...files], { cwd: dir, env, encoding: 'utf8' });
  const found = run('model.py', 'clean.py', 'notes.txt');
  assert.equal(found.status, 1, found.stdout + found.stderr);
  assert.match(found.stdout, /^reglens\.+Failed$/m);
  assert.match(found.stdout, /^model\.py:7:16: RG006 warning: /m);
  // pre-commit passes only Python files and notebooks (`types_or`), so the text file is not named.
  assert.match(found.stdout, /^Checked 2 files\.$/m);
  const clean = run('clean.py');
  assert.equal(clean.status, 0, clean.stdout + clean.stderr);
  assert.match(clean.stdout, /^reglens\.+Passed$/m);
  // pre-commit names files one by one; the hook's --force-exclude keeps out what `exclude` leaves out.
  fs.writeFileSync(path.join(dir, 'pyproject.toml'), '[tool.reglens]\nexclude = ["legacy"]\n');
  fs.mkdirSync(path.join(dir, 'legacy'));
  fs.writeFileSync(path.join(dir, 'legacy', 'old.py'), MODEL);
  git('add', '-A');
  const outside = run('legacy/old.py', 'model.py');
  assert.equal(outside.status, 1, outside.stdout + outside.stderr);
  assert.match(outside.stdout, /^model\.py:7:16: RG006 warning: /m);
  assert.doesNotMatch(outside.stdout, /^legacy\/old\.py:/m);
  assert.match(outside.stdout, /^Checked 1 file; 1 named path excluded \(--force-exclude\)\.$/m);
});
