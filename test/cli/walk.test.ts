import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { BLOCK, ONLY_RG006, makeTree, parseJson, runCli } from './helpers';

const paths = (stdout: string) => [...new Set(parseJson(stdout).diagnostics.map((d) => d.path))];

describe('reglens check: walking folders', () => {
  it('finds *.py files, skipping tool folders, virtual environments and .gitignored paths', () => {
    const dir = makeTree({
      '.git/HEAD': 'ref: refs/heads/main\n',
      '.git/hooks/hook.py': ONLY_RG006,
      'node_modules/pkg/x.py': ONLY_RG006,
      'venv/lib/x.py': ONLY_RG006,
      '.venv/lib/x.py': ONLY_RG006,
      'env/x.py': ONLY_RG006,
      'my-env-name/pyvenv.cfg': 'home = /usr/bin\n',
      'my-env-name/lib/x.py': ONLY_RG006,
      'vendor/site-packages/x.py': ONLY_RG006,
      'src/__pycache__/x.py': ONLY_RG006,
      '.tox/py311/x.py': ONLY_RG006,
      '.mypy_cache/x.py': ONLY_RG006,
      '.gitignore': 'build/\n/scratch.py\n',
      'build/lib/x.py': ONLY_RG006,
      'scratch.py': ONLY_RG006,
      'src/.gitignore': '*_gen.py\n!keep_gen.py\n',
      'src/model_gen.py': ONLY_RG006,
      'src/keep_gen.py': ONLY_RG006,
      'src/model.py': ONLY_RG006,
      'src/sub/scratch.py': ONLY_RG006, // `/scratch.py` is anchored to the root
      'src/notes.txt': ONLY_RG006,
      'src/script': ONLY_RG006,
    });
    const r = runCli(['check', '--format', 'json', '.'], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(paths(r.stdout), ['src/keep_gen.py', 'src/model.py', 'src/sub/scratch.py']);
  });

  it('honours .gitignore files of parent folders up to the git root, not above it', () => {
    const dir = makeTree({
      '.gitignore': '*.py\n', // above the repository: not read
      'repo/.git/HEAD': 'ref: refs/heads/main\n',
      'repo/.gitignore': 'src/generated/\n',
      'repo/src/model.py': ONLY_RG006,
      'repo/src/generated/x.py': ONLY_RG006,
    });
    const r = runCli(['check', '--format', 'json', 'src'], { cwd: path.join(dir, 'repo') });
    assert.deepEqual(paths(r.stdout), ['src/model.py']);
  });

  it('always checks files named on the command line, and searches named folders', () => {
    const dir = makeTree({
      '.git/HEAD': 'ref: refs/heads/main\n',
      '.gitignore': 'build/\n',
      'build/x.py': ONLY_RG006,
      'venv/y.py': ONLY_RG006,
      script: BLOCK,
    });
    const r = runCli(['check', '--format', 'json', 'build/x.py', 'venv/y.py', 'script'], { cwd: dir });
    assert.deepEqual(paths(r.stdout), ['build/x.py', 'script', 'venv/y.py']);
    const folder = runCli(['check', '--format', 'json', 'venv', 'build'], { cwd: dir });
    assert.deepEqual(paths(folder.stdout), ['build/x.py', 'venv/y.py']);
  });

  it('says that nothing was checked, with a warning, when a folder holds no Python files', () => {
    const dir = makeTree({ 'docs/readme.md': 'dropout\n' });
    const r = runCli(['check', 'docs'], { cwd: dir });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'Nothing was checked: no Python files (*.py, *.ipynb).\n');
    assert.match(r.stderr, /^warning: no Python files found/);
  });
});
