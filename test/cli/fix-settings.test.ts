// The fix workflow as Ruff users drive it: `fixable` / `unfixable` and `extend-safe-fixes` / `extend-unsafe-fixes` in
// pyproject.toml (and --fixable / --unfixable), --fix-only, --show-fixes and --exit-non-zero-on-fix.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { BLOCK, BLOCK_ALL_FIXED, BLOCK_SAFE_FIXED, CLEAN, makeTree, parseJson, read, runCli } from './helpers';

const fixesOf = (stdout: string) =>
  parseJson(stdout).diagnostics.map((d) => `${d.code} ${d.fix ? d.fix.applicability : 'none'}`);

describe('fix settings in pyproject.toml', () => {
  it("unfixable takes a rule's fix away from every output and from --fix; --unfixable replaces it", () => {
    const dir = makeTree({ 'pyproject.toml': '[tool.reglens]\nunfixable = ["RG006"]\n', 'model.py': BLOCK });
    assert.deepEqual(fixesOf(runCli(['check', '--format', 'json', 'model.py'], { cwd: dir }).stdout), [
      'RG007 unsafe',
      'RG006 none',
    ]);
    const text = runCli(['check', 'model.py'], { cwd: dir });
    assert.match(text.stdout, /^model\.py:11:13: RG006 warning: `F\.dropout`/m, 'no [*] mark');
    assert.doesNotMatch(text.stdout, /fixable with/);

    const fixed = runCli(['check', '--fix', '--unsafe-fixes', 'model.py'], { cwd: dir });
    assert.equal(fixed.code, 1, 'RG006 remains');
    assert.equal(read(dir, 'model.py'), BLOCK_ALL_FIXED.replace(', training=self.training', ''));

    const flags = makeTree({ 'pyproject.toml': '[tool.reglens]\nunfixable = ["RG006"]\n', 'model.py': BLOCK });
    const replaced = runCli(['check', '--fix', '--unfixable', 'RG007', 'model.py'], { cwd: flags });
    assert.equal(read(flags, 'model.py'), BLOCK_SAFE_FIXED, '--unfixable RG007 replaces the pyproject list');
    assert.match(replaced.stdout, /^model\.py:8:9: RG007 warning: [^[]/m, 'RG007 is now unfixable: no [*]');
    assert.doesNotMatch(replaced.stdout, /hidden fix/, 'an unfixable rule has no hidden fix to enable');
  });

  it('fixable limits fixes to the rules it names', () => {
    const dir = makeTree({ 'pyproject.toml': '[tool.reglens]\nfixable = ["RG007"]\n', 'model.py': BLOCK });
    assert.deepEqual(fixesOf(runCli(['check', '--format', 'json', 'model.py'], { cwd: dir }).stdout), [
      'RG007 unsafe',
      'RG006 none',
    ]);
    const r = runCli(['check', '--fixable', 'RG0', '--format', 'json', 'model.py'], { cwd: dir });
    assert.deepEqual(fixesOf(r.stdout), ['RG007 unsafe', 'RG006 safe'], '--fixable replaces the pyproject list');
  });

  it("extend-safe-fixes lets --fix apply a rule's unsafe fixes; extend-unsafe-fixes holds back safe ones", () => {
    const safe = makeTree({ 'pyproject.toml': '[tool.reglens]\nextend-safe-fixes = ["RG007"]\n', 'model.py': BLOCK });
    const r = runCli(['check', '--fix', 'model.py'], { cwd: safe });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(read(safe, 'model.py'), BLOCK_ALL_FIXED, 'without --unsafe-fixes');
    assert.equal(r.stdout, 'Found 2 problems (2 fixed, 0 remaining).\nChecked 1 file.\n');

    const held = makeTree({ 'pyproject.toml': '[tool.reglens]\nextend-unsafe-fixes = ["RG006"]\n', 'model.py': BLOCK });
    assert.deepEqual(fixesOf(runCli(['check', '--format', 'json', 'model.py'], { cwd: held }).stdout), [
      'RG007 unsafe',
      'RG006 unsafe',
    ]);
    const none = runCli(['check', '--fix', 'model.py'], { cwd: held });
    assert.equal(read(held, 'model.py'), BLOCK);
    assert.match(none.stdout, /^\(2 hidden fixes can be enabled with the --unsafe-fixes option\.\)$/m);
  });

  it("--show-settings says what each rule's fix counts as", () => {
    const dir = makeTree({
      'pyproject.toml': '[tool.reglens]\nunfixable = ["RG006"]\nextend-safe-fixes = ["RG007"]\nignore = ["RG008"]\n',
      'model.py': BLOCK,
    });
    const out = runCli(['check', '--show-settings', 'model.py'], { cwd: dir }).stdout;
    assert.match(out, /^ {4}RG006 regularizer-active-in-eval +warning +unfixable$/m);
    assert.match(out, /^ {4}RG007 unused-regularizer +warning +safe fix$/m);
    assert.match(out, /^ {4}RG002 missing-sublayer-dropout +warning +unsafe fix$/m);
    assert.match(out, /^ {4}RG008 suspicious-rate +off$/m);
    assert.match(out, /^ {4}RG015 eval-in-train-mode +warning +no fix$/m);
  });

  it('a cached check is not reused after the fix settings change', () => {
    const dir = makeTree({ 'model.py': BLOCK });
    const first = runCli(['check', 'model.py'], { cwd: dir });
    assert.match(first.stdout, /RG006 warning: \[\*\]/);
    makeConfig(dir, '[tool.reglens]\nunfixable = ["RG006"]\n');
    const second = runCli(['check', 'model.py'], { cwd: dir, env: { REGLENS_TRACE_CHECK: '1' } });
    assert.match(second.stderr, /^cache: 0 of 1 files reused$/m);
    assert.match(second.stdout, /RG006 warning: `F\.dropout`/);
  });
});

describe('reglens check --fix-only, --show-fixes, --exit-non-zero-on-fix', () => {
  it('--fix-only applies the fixes and reports what was fixed, not what remains; exit status 0', () => {
    const dir = makeTree({ 'a/model.py': BLOCK, 'b/clean.py': CLEAN });
    const r = runCli(['check', '--fix-only', '.'], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(read(dir, 'a/model.py'), BLOCK_SAFE_FIXED);
    assert.equal(
      r.stdout,
      'Fixed 1 problem in 1 file.\n' +
        '1 problem remains (`reglens check` without --fix-only lists them).\n' +
        '(1 hidden fix can be enabled with the --unsafe-fixes option.)\n' +
        'Checked 2 files.\n',
    );
    const again = runCli(['check', '--fix-only', '--exit-non-zero-on-fix', '.'], { cwd: dir });
    assert.equal(again.code, 0, 'nothing fixed: status 0 even with --exit-non-zero-on-fix');
    assert.match(again.stdout, /^No problems fixed\.$/m);

    const json = makeTree({ 'model.py': BLOCK });
    const j = runCli(['check', '--fix-only', '--format', 'json', 'model.py'], { cwd: json });
    assert.equal(j.code, 0);
    assert.deepEqual(parseJson(j.stdout).diagnostics, [], 'the problems left are not listed');
    assert.equal(read(json, 'model.py'), BLOCK_SAFE_FIXED);
  });

  it('--exit-non-zero-on-fix: status 1 when a fix was applied, even with nothing left', () => {
    const dir = makeTree({ 'model.py': BLOCK });
    const r = runCli(['check', '--fix', '--unsafe-fixes', '--exit-non-zero-on-fix', 'model.py'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.equal(read(dir, 'model.py'), BLOCK_ALL_FIXED);
    assert.equal(runCli(['check', '--fix', '--exit-non-zero-on-fix', 'model.py'], { cwd: dir }).code, 0);
    const only = makeTree({ 'model.py': BLOCK });
    assert.equal(runCli(['check', '--fix-only', '--exit-non-zero-on-fix', 'model.py'], { cwd: only }).code, 1);
    const zero = makeTree({ 'model.py': BLOCK });
    const quiet = runCli(['check', '--fix-only', '--exit-non-zero-on-fix', '--exit-zero', 'model.py'], { cwd: zero });
    assert.equal(quiet.code, 0, '--exit-zero wins, as in Ruff');
  });

  it('--show-fixes lists the fixes applied per file and rule, before the summary', () => {
    const dir = makeTree({ 'a/model.py': BLOCK, 'b/model.py': BLOCK, 'c/clean.py': CLEAN });
    const r = runCli(['check', '--fix', '--unsafe-fixes', '--show-fixes', '.'], { cwd: dir });
    assert.equal(
      r.stdout,
      [
        'Fixed 4 problems:',
        '- a/model.py:',
        '    1 × RG006 (regularizer-active-in-eval)',
        '    1 × RG007 (unused-regularizer)',
        '- b/model.py:',
        '    1 × RG006 (regularizer-active-in-eval)',
        '    1 × RG007 (unused-regularizer)',
        'Found 4 problems (4 fixed, 0 remaining).',
        'Checked 3 files.',
        '',
      ].join('\n'),
    );
    // --stdin-filename: the fixed source on stdout, the report (and the fixes) on stderr.
    const stdin = runCli(['check', '--fix-only', '--show-fixes', '--stdin-filename', 'model.py'], {
      cwd: dir,
      input: BLOCK,
    });
    assert.equal(stdin.stdout, BLOCK_SAFE_FIXED);
    assert.match(stdin.stderr, /^Fixed 1 problem:\n- model\.py:\n {4}1 × RG006 \(regularizer-active-in-eval\)$/m);
  });

  it('says which combinations make no sense', () => {
    const dir = makeTree({ 'model.py': BLOCK });
    for (const [args, phrase] of [
      [['--show-fixes'], '--show-fixes is about the fixes applied; it needs --fix or --fix-only'],
      [['--exit-non-zero-on-fix'], '--exit-non-zero-on-fix is about the fixes applied; it needs --fix or --fix-only'],
      [['--diff', '--show-fixes'], '--diff applies none'],
      [['--fix-only', '--diff'], '--fix-only writes the fixes; --diff prints them'],
      [['--fix-only', '--statistics'], '--fix-only reports none'],
      [['--fix', '--show-fixes', '--format', 'json'], 'cannot be combined with --output-format json'],
      [['--fix-only', '--add-noqa'], 'cannot be combined with --fix-only'],
      [['--unfixable', 'RG99'], '--unfixable: "RG99" matches no rule'],
    ] as [string[], string][]) {
      const r = runCli(['check', ...args, 'model.py'], { cwd: dir });
      assert.equal(r.code, 2, args.join(' '));
      assert.ok(r.stderr.includes(phrase), `${args.join(' ')} → ${r.stderr}`);
      assert.equal(read(dir, 'model.py'), BLOCK, 'nothing is written');
    }
  });
});

function makeConfig(dir: string, text: string): void {
  fs.writeFileSync(path.join(dir, 'pyproject.toml'), text);
}
