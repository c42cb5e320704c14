// `reglens check` for hooks and CI: --force-exclude (pre-commit names files one by one), --exclude and
// --extend-exclude, --quiet, --silent, --output-file, --show-files and --show-settings. The real bundle in temp
// folders.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { joined } from '../patterns';
import { CLEAN, makeTree, ONLY_RG006, parseJson, read, runCli } from './helpers';

/** A project whose pyproject excludes `legacy`, with the same RG006 mistake in and out of it. */
function project(): string {
  return makeTree({
    'pyproject.toml': '[tool.reglens]\nexclude = ["legacy"]\n',
    'legacy/old.py': ONLY_RG006,
    'pkg/model.py': ONLY_RG006,
    'pkg/clean.py': CLEAN,
  });
}

describe('reglens check --force-exclude', () => {
  it('leaves out a named file that `exclude` matches, says so, and checks the others named beside it', () => {
    const dir = project();
    const plain = runCli(['check', 'legacy/old.py'], { cwd: dir });
    assert.equal(plain.code, 1, 'without the flag a named file is checked, as Ruff does');
    assert.match(plain.stdout, /^legacy\/old\.py:6:16: RG006 /m);

    const alone = runCli(['check', '--force-exclude', 'legacy/old.py'], { cwd: dir });
    assert.equal(alone.code, 0, alone.stdout + alone.stderr);
    assert.equal(alone.stdout, 'Nothing was checked: 1 named path excluded (--force-exclude).\n');
    assert.equal(
      alone.stderr,
      'note: 1 path named on the command line is excluded and not checked (--force-exclude): legacy/old.py\n',
    );

    const mixed = runCli(['check', '--force-exclude', 'legacy/old.py', 'pkg/model.py', 'pkg/clean.py'], { cwd: dir });
    assert.equal(mixed.code, 1);
    assert.doesNotMatch(mixed.stdout, /legacy/);
    assert.match(mixed.stdout, /^pkg\/model\.py:6:16: RG006 /m);
    assert.match(mixed.stdout, /^Checked 2 files; 1 named path excluded \(--force-exclude\)\.$/m);

    const clean = runCli(['check', '--force-exclude', 'legacy/old.py', 'pkg/clean.py'], { cwd: dir });
    assert.equal(clean.code, 0);
    assert.equal(clean.stdout, 'All checks passed! (1 file; 1 named path excluded (--force-exclude))\n');
  });

  it('leaves out a named folder, and a file inside an excluded folder named from another directory', () => {
    const dir = project();
    const folder = runCli(['check', '--force-exclude', 'legacy', 'pkg'], { cwd: dir });
    assert.equal(folder.code, 1);
    assert.doesNotMatch(folder.stdout, /legacy\/old/);
    assert.match(folder.stdout, /^Checked 2 files; 1 named path excluded/m);
    // The exclusion is the pyproject's, relative to its folder, wherever the command runs.
    const inside = runCli(['check', '--force-exclude', 'old.py'], { cwd: path.join(dir, 'legacy') });
    assert.equal(inside.code, 0, inside.stdout);
    assert.match(inside.stderr, /excluded and not checked \(--force-exclude\): old\.py$/m);
  });

  it('passes an excluded file read from stdin through --fix unchanged, and fixes one that is not excluded', () => {
    const dir = project();
    const excluded = runCli(['check', '--force-exclude', '--fix', '--stdin-filename', 'legacy/new.py'], {
      cwd: dir,
      input: ONLY_RG006,
    });
    assert.equal(excluded.code, 0, excluded.stderr);
    assert.equal(excluded.stdout, ONLY_RG006);
    assert.match(excluded.stderr, /legacy\/new\.py/);
    const fixed = runCli(['check', '--force-exclude', '--fix', '--stdin-filename', 'pkg/new.py'], {
      cwd: dir,
      input: ONLY_RG006,
    });
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stdout, /F\.dropout\(x, 0\.5, training=self\.training\)/);
  });
});

describe('reglens check --exclude / --extend-exclude', () => {
  it('--exclude replaces the pyproject exclusions, --extend-exclude adds to them, from the current folder', () => {
    const dir = project();
    const paths = (stdout: string) => parseJson(stdout).diagnostics.map((d) => d.path);
    assert.deepEqual(paths(runCli(['check', '.', '--format', 'json'], { cwd: dir }).stdout), ['pkg/model.py']);
    const replaced = runCli(['check', '.', '--format', 'json', '--exclude', 'pkg/model.py'], { cwd: dir });
    assert.deepEqual(paths(replaced.stdout), ['legacy/old.py'], replaced.stderr);
    const extended = runCli(['check', '.', '--extend-exclude', 'model.py'], { cwd: dir });
    assert.equal(extended.code, 0, extended.stdout);
    assert.equal(extended.stdout, 'All checks passed! (1 file)\n');
  });

  it('says how many files and folders exclusion left out when nothing is left to check', () => {
    const dir = project();
    const r = runCli(['check', '.', '--extend-exclude', 'pkg'], { cwd: dir });
    assert.equal(r.code, 0);
    assert.equal(
      r.stderr,
      'warning: no Python files found under the given paths (*.py, *.ipynb); 2 files or folders are excluded\n',
    );
  });

  it('rejects an empty glob list', () => {
    const r = runCli(['check', '.', '--exclude', ' , '], { cwd: project() });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: --exclude needs at least one glob/);
  });
});

describe('reglens check --quiet, --silent, --output-file', () => {
  it('--quiet prints the problems and no summary; nothing at all when the files are clean', () => {
    const dir = project();
    const r = runCli(['check', 'pkg', '-q'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.equal(r.stdout.split('\n').length, 2, r.stdout);
    assert.match(r.stdout, /^pkg\/model\.py:6:16: RG006 warning: .+\n$/);
    const full = runCli(['check', 'pkg', '--quiet', '--output-format', 'full'], { cwd: dir });
    assert.match(full.stdout, /\^+ RG006/);
    assert.doesNotMatch(full.stdout, /Found 1 problem|Checked/);
    const clean = runCli(['check', 'pkg/clean.py', '--quiet'], { cwd: dir });
    assert.equal(clean.code, 0);
    assert.equal(clean.stdout, '');
  });

  it('--silent prints nothing and exits 1 on problems, but still says why it exits 2', () => {
    const dir = project();
    const found = runCli(['check', 'pkg', '--silent'], { cwd: dir });
    assert.deepEqual([found.code, found.stdout, found.stderr], [1, '', '']);
    const missing = runCli(['check', 'nowhere.py', '-s'], { cwd: dir });
    assert.equal(missing.code, 2);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /^error: nowhere\.py: no such file or directory/);
  });

  it('--output-file writes the report (its folder made) and leaves stdout empty', () => {
    const dir = project();
    const r = runCli(['check', 'pkg', '--output-format', 'json', '-o', 'reports/reglens.json'], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.deepEqual(
      parseJson(read(dir, 'reports/reglens.json')).diagnostics.map((d) => d.code),
      ['RG006'],
    );
    const text = runCli(['check', 'pkg', '--output-file', 'out.txt'], { cwd: dir });
    assert.equal(text.stdout, '');
    assert.match(read(dir, 'out.txt'), /^pkg\/model\.py:6:16: RG006 .+\nFound 1 problem\./);
  });

  it('--output-file that cannot be written is an error, and --silent with it a usage error', () => {
    const dir = project();
    fs.writeFileSync(path.join(dir, 'blocker'), '');
    const r = runCli(['check', 'pkg', '-o', 'blocker/report.txt'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: blocker\/report\.txt: /m);
    const both = runCli(['check', 'pkg', '-s', '-o', 'x.txt'], { cwd: dir });
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--silent prints no report; it cannot be combined with --output-file/);
  });
});

describe('reglens check --show-files / --show-settings', () => {
  it('--show-files lists what a check would read, after exclusions, and checks nothing', () => {
    const dir = project();
    const r = runCli(['check', '--show-files'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'pkg/clean.py\npkg/model.py\n');
    const named = runCli(['check', '--show-files', '--force-exclude', 'legacy/old.py', 'pkg/model.py'], { cwd: dir });
    assert.equal(named.stdout, 'pkg/model.py\n');
    const usage = runCli(['check', '--show-files', '--diff'], { cwd: dir });
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--show-files checks nothing; it cannot be combined with --diff/);
  });

  it('--show-settings names the pyproject, whether the file is excluded, the cache, each rule on or off', () => {
    const dir = makeTree({
      'pyproject.toml': [
        '[tool.reglens]',
        'exclude = ["legacy"]',
        'ignore = ["RG007"]',
        'severity = { RG008 = "error" }',
        'per-file-ignores = { "tests/**/*.py" = ["RG006"] }',
      ].join('\n'),
      'legacy/old.py': ONLY_RG006,
      'tests/test_model.py': ONLY_RG006,
    });
    const legacy = runCli(['check', '--show-settings', 'legacy/old.py'], { cwd: dir });
    assert.equal(legacy.code, 0, legacy.stderr);
    const lines = legacy.stdout.split('\n');
    assert.deepEqual(lines.slice(0, 5), [
      'Settings for legacy/old.py',
      '  configuration: pyproject.toml [tool.reglens]',
      '  excluded: yes (checked only when named without --force-exclude)',
      '  cache: .reglens_cache',
      '  rules (severity, then what its fix counts as):',
    ]);
    assert.match(legacy.stdout, /^ {4}RG006 regularizer-active-in-eval +warning +safe fix$/m);
    assert.match(legacy.stdout, /^ {4}RG007 unused-regularizer +off$/m);
    assert.match(legacy.stdout, /^ {4}RG008 suspicious-rate +error +unsafe fix$/m);
    const test = runCli(['check', '--show-settings', 'test_model.py', '--select', 'RG006,RG008'], {
      cwd: path.join(dir, 'tests'),
    });
    assert.match(
      test.stdout,
      /^ {2}configuration: \.\.\/pyproject\.toml \[tool\.reglens\], with --select RG006,RG008$/m,
    );
    assert.match(test.stdout, /^ {2}excluded: no$/m);
    // The cache is the project's, beside its pyproject, wherever the check starts.
    assert.match(test.stdout, /^ {2}cache: \.\.\/\.reglens_cache$/m);
    const off = runCli(['check', '--show-settings', '--no-cache', 'legacy/old.py'], { cwd: dir });
    assert.match(off.stdout, /^ {2}cache: off \(--no-cache or REGLENS_NO_CACHE\)$/m);
    assert.match(test.stdout, /^ {4}RG006 regularizer-active-in-eval +off$/m, 'per-file-ignores apply');
    assert.match(test.stdout, /^ {4}RG001 dropout-before-fusion +off$/m, '--select replaces select');
  });

  it('--show-settings without a pyproject says the default rules apply; without a file it is an error', () => {
    const dir = makeTree({ 'model.py': ONLY_RG006 });
    const r = runCli(['check', '--show-settings'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      joined(
        /^ {2}configuration: no \.reglens\.toml, reglens\.toml or pyproject\.toml with \[tool\.reglens\]: /,
        /the default rules$/m,
      ),
    );
    const none = runCli(['check', '--show-settings', '.'], { cwd: makeTree({ 'notes.txt': '' }) });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^error: --show-settings needs a Python file/m);
  });
});
