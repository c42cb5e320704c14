import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { BLOCK, makeTree, parseJson, runCli, summary } from './helpers';

const codes = (stdout: string) => parseJson(stdout).diagnostics.map((d) => `${d.path} ${d.code}`);

describe('rule selection: --select / --ignore and pyproject.toml', () => {
  it('--select and --ignore take comma-separated codes and prefixes', () => {
    const dir = makeTree({ 'model.py': BLOCK });
    const run = (...args: string[]) =>
      codes(runCli(['check', '--format', 'json', ...args, 'model.py'], { cwd: dir }).stdout);
    assert.deepEqual(run('--select', 'RG006'), ['model.py RG006']);
    assert.deepEqual(run('--select=rg007'), ['model.py RG007']);
    assert.deepEqual(run('--ignore', 'RG006'), ['model.py RG007']);
    assert.deepEqual(run('--select', 'RG0'), ['model.py RG007', 'model.py RG006']);
    assert.deepEqual(run('--select', 'RG006,RG007', '--ignore', 'RG007'), ['model.py RG006']);
    const none = runCli(['check', '--ignore', 'RG006,RG007', 'model.py'], { cwd: dir });
    assert.equal(none.code, 0);
    assert.equal(none.stdout, 'All checks passed! (1 file)\n');
  });

  it('rejects codes that are not rules with exit 2', () => {
    const dir = makeTree({ 'model.py': BLOCK });
    for (const bad of ['XY1', 'RG999', '']) {
      const r = runCli(['check', '--select', bad, 'model.py'], { cwd: dir });
      assert.equal(r.code, 2, bad);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.match(r.stderr, /^error: --select/);
    }
  });

  it('uses the nearest pyproject.toml with [tool.reglens] for each file', () => {
    const dir = makeTree({
      'pyproject.toml': '[tool.reglens]\nignore = ["RG007"]\n',
      'top.py': BLOCK,
      'pkg/pyproject.toml': '[project]\nname = "pkg"\n', // no [tool.reglens]: skipped
      'pkg/mid.py': BLOCK,
      'pkg/inner/pyproject.toml': '[tool.reglens]\nselect = ["RG007"]\n',
      'pkg/inner/deep.py': BLOCK,
    });
    const r = runCli(['check', '--format', 'json', '.'], { cwd: dir });
    assert.deepEqual(codes(r.stdout), ['pkg/inner/deep.py RG007', 'pkg/mid.py RG006', 'top.py RG006']);
    // The same files are governed the same way when checked from inside a folder.
    const inner = runCli(['check', '--format', 'json', 'deep.py'], { cwd: path.join(dir, 'pkg', 'inner') });
    assert.deepEqual(codes(inner.stdout), ['deep.py RG007']);
  });

  it('lets --select and --ignore override the pyproject lists', () => {
    const dir = makeTree({
      'pyproject.toml': '[tool.reglens]\nselect = ["RG007"]\nignore = ["RG006"]\n',
      'model.py': BLOCK,
    });
    const run = (...args: string[]) =>
      codes(runCli(['check', '--format', 'json', ...args, 'model.py'], { cwd: dir }).stdout);
    assert.deepEqual(run(), ['model.py RG007']);
    // --select replaces select = ["RG007"]; --ignore replaces ignore = ["RG006"].
    assert.deepEqual(run('--select', 'RG006', '--ignore', 'RG008'), ['model.py RG006']);
    assert.deepEqual(run('--ignore', 'RG008'), ['model.py RG007']);
  });

  it('applies per-file-ignores relative to the pyproject folder, and severity overrides', () => {
    const dir = makeTree({
      'pyproject.toml': [
        '[tool.reglens]',
        'severity = { RG006 = "error" }',
        '[tool.reglens.per-file-ignores]',
        '"tests/**" = ["RG006"]',
        '"legacy.py" = ["RG007"]',
        '',
      ].join('\n'),
      'model.py': BLOCK,
      'tests/unit/test_model.py': BLOCK,
      'old/legacy.py': BLOCK,
    });
    const r = runCli(['check', '--format', 'json', '.'], { cwd: dir });
    const report = parseJson(r.stdout);
    assert.deepEqual(
      report.diagnostics.map((d) => `${d.path} ${d.code} ${d.severity}`),
      [
        'model.py RG007 warning',
        'model.py RG006 error',
        'old/legacy.py RG006 error',
        'tests/unit/test_model.py RG007 warning',
      ],
    );
  });

  it('--config uses the given pyproject.toml for every file instead of discovery', () => {
    const dir = makeTree({
      'pyproject.toml': '[tool.reglens]\nignore = ["RG006"]\n',
      'model.py': BLOCK,
      'sub/other.py': BLOCK,
      'ci/reglens.toml':
        '[tool.reglens]\nignore = ["RG007"]\n[tool.reglens.per-file-ignores]\n"../sub/*.py" = ["RG006"]\n',
    });
    const discovered = runCli(['check', '--format', 'json', '.'], { cwd: dir });
    assert.deepEqual(codes(discovered.stdout), ['model.py RG007', 'sub/other.py RG007']);
    const given = runCli(['check', '--format', 'json', '--config', 'ci/reglens.toml', '.'], { cwd: dir });
    assert.equal(given.code, 1, given.stderr);
    assert.deepEqual(codes(given.stdout), ['model.py RG006']);
  });

  it('exits 2 with a one-line message for an invalid or missing --config', () => {
    const dir = makeTree({ 'model.py': BLOCK, 'bad.toml': '[tool.reglens]\nselect = "RG006"\n' });
    const bad = runCli(['check', '--config', 'bad.toml', 'model.py'], { cwd: dir });
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
    assert.match(
      bad.stderr,
      /^error: invalid configuration: .*bad\.toml:2:1: \[tool\.reglens\]\.select must be a list of rule codes/,
    );
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    const missing = runCli(['check', '--config', 'nowhere.toml', 'model.py'], { cwd: dir });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nowhere\.toml: cannot be read/);
  });

  it('an invalid discovered pyproject.toml exits 2 with a clear message; files elsewhere are still checked', () => {
    const dir = makeTree({
      'good/model.py': BLOCK,
      'typo/pyproject.toml': '[tool.reglens]\nselct = ["RG006"]\n',
      'typo/a.py': BLOCK,
      'typo/b.py': BLOCK,
      'broken/pyproject.toml': '[tool.reglens]\nselect = ["RG006"\n',
      'broken/c.py': BLOCK,
    });
    const r = runCli(['check', '--format', 'json', '.'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.deepEqual(summary(r.stdout), ['good/model.py:8:9 RG007', 'good/model.py:11:13 RG006']);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 2, `one line per bad pyproject.toml, not per file: ${r.stderr}`);
    assert.ok(
      lines.some((l) => /typo[/\\]pyproject\.toml:2:1: \[tool\.reglens\] has an unknown key "selct"/.test(l)),
      r.stderr,
    );
    assert.ok(
      lines.some((l) => /broken[/\\]pyproject\.toml:3:1: invalid TOML/.test(l)),
      r.stderr,
    );
    assert.ok(lines.every((l) => l.startsWith('error: invalid configuration: ')));
  });

  it(
    'a code in pyproject.toml that matches no rule is an error at its line and column, as it is on the command ' +
      'line',
    () => {
      const cases: [string, RegExp][] = [
        [
          '[tool.reglens]\nselect = [\n  "RG006",\n  "RG99",\n]\n',
          /pyproject\.toml:4:3: \[tool\.reglens\]\.select has "RG99", which matches no rule/,
        ],
        [
          '[tool.reglens]\nignore = ["RG7x"]\n',
          /pyproject\.toml:2:11: \[tool\.reglens\]\.ignore has "RG7x", which is not a rule code/,
        ],
        [
          '[tool.reglens.severity]\nRG77 = "error"\n',
          /pyproject\.toml:2:1: \[tool\.reglens\]\.severity has "RG77", which matches no rule/,
        ],
        [
          '[tool.reglens]\nseverity = { RG006 = "loud" }\n',
          /pyproject\.toml:2:14: \[tool\.reglens\]\.severity\.RG006 must be "error"/,
        ],
        [
          '[tool.reglens.per-file-ignores]\n"tests/*" = ["RG5"]\n',
          /pyproject\.toml:2:14: .*"tests\/\*" has "RG5", which matches no rule/,
        ],
      ];
      for (const [toml, message] of cases) {
        const dir = makeTree({ 'model.py': BLOCK, 'pyproject.toml': toml });
        const r = runCli(['check', '.'], { cwd: dir });
        assert.equal(r.code, 2, toml);
        assert.match(r.stderr, message, toml);
        assert.match(r.stdout, /^Nothing was checked; 1 file failed/, 'no "passed" when the configuration is wrong');
      }
    },
  );

  it('a reglens.toml (its settings at the top level) configures a project without pyproject.toml', () => {
    const dir = makeTree({
      'reglens.toml': 'ignore = ["RG007"]\n\n[severity]\nRG006 = "error"\n',
      'src/model.py': BLOCK,
      // A subproject's own pyproject.toml with the table governs its files; one without it does not.
      'sub/pyproject.toml': '[tool.reglens]\nselect = ["RG007"]\n',
      'sub/model.py': BLOCK,
      'other/pyproject.toml': '[project]\nname = "other"\n',
      'other/model.py': BLOCK,
    });
    const r = runCli(['check', '--format', 'json', '.'], { cwd: dir });
    assert.deepEqual(
      parseJson(r.stdout).diagnostics.map((d) => `${d.path} ${d.code} ${d.severity}`),
      ['other/model.py RG006 error', 'src/model.py RG006 error', 'sub/model.py RG007 warning'],
    );
    const shown = runCli(['check', '--show-settings', 'src/model.py'], { cwd: dir });
    assert.match(shown.stdout, /^ {2}configuration: reglens\.toml$/m);
    assert.match(shown.stdout, /^ {2}cache: \.reglens_cache$/m, "the cache sits beside the project's configuration");
    // --config takes a reglens.toml too.
    const given = runCli(['check', '--config', 'reglens.toml', '--format', 'json', 'sub'], { cwd: dir });
    assert.deepEqual(summary(given.stdout), ['sub/model.py:11:13 RG006']);
    // A mistake is placed in the file, named by its key alone.
    const bad = makeTree({ '.reglens.toml': 'select = ["RG0"]\nignore = [\n  "RG99",\n]\n', 'model.py': BLOCK });
    const error = runCli(['check', '.'], { cwd: bad });
    assert.equal(error.code, 2);
    assert.match(error.stderr, /\.reglens\.toml:3:3: ignore has "RG99", which matches no rule/);
  });

  it("extend: a subproject's settings over the repository's, each file's globs from its own folder", () => {
    const dir = makeTree({
      'pyproject.toml':
        '[tool.reglens]\nignore = ["RG007"]\nexclude = ["pkg/legacy"]\n' +
        'per-file-ignores = { "pkg/tests/*" = ["RG006"] }\n',
      'pkg/reglens.toml': 'extend = "../pyproject.toml"\nseverity = { RG006 = "error" }\n',
      'pkg/model.py': BLOCK,
      'pkg/tests/test_model.py': BLOCK,
      'pkg/legacy/old.py': BLOCK,
    });
    const r = runCli(['check', '--format', 'json', '.'], { cwd: dir });
    assert.deepEqual(
      parseJson(r.stdout).diagnostics.map((d) => `${d.path} ${d.code} ${d.severity}`),
      ['pkg/model.py RG006 error'],
      "RG007 ignored, the legacy folder excluded and the tests' RG006 ignored by the repository's settings",
    );
    const shown = runCli(['check', '--show-settings', 'pkg/model.py'], { cwd: dir });
    assert.match(shown.stdout, /^ {2}configuration: pkg\/reglens\.toml, extending pyproject\.toml \[tool\.reglens\]$/m);
    fs.writeFileSync(path.join(dir, 'pkg', 'reglens.toml'), 'extend = "../missing.toml"\n');
    const broken = runCli(['check', '.'], { cwd: dir });
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /pkg\/reglens\.toml:1:10: extend names \.\.\/missing\.toml, which does not exist/);
  });
});
