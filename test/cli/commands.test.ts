import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pkg from '../../package.json';
import { ruleDocsUrl } from '../../server/engine/project';
import { rules } from '../../server/rules';
import { makeTree, runCli } from './helpers';

describe('reglens --version, --help, rule', () => {
  const cwd = makeTree({});

  it('--version prints the package version', () => {
    for (const flag of ['--version', '-V']) {
      const r = runCli([flag], { cwd });
      assert.equal(r.code, 0);
      assert.equal(r.stdout, `reglens ${pkg.version}\n`);
    }
  });

  it('--help describes the commands, and check --help every option', () => {
    const main = runCli(['--help'], { cwd });
    assert.equal(main.code, 0);
    assert.match(main.stdout, /reglens check/);
    assert.match(main.stdout, /rule/);
    const check = runCli(['check', '--help'], { cwd });
    assert.equal(check.code, 0);
    for (const option of [
      '--format',
      '--select',
      '--ignore',
      '--fix',
      '--unsafe-fixes',
      '--exit-zero',
      '--stdin-filename',
      '--config',
      '--jobs',
    ]) {
      assert.ok(check.stdout.includes(option), option);
    }
    const none = runCli([], { cwd });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Usage: reglens/);
  });

  it('rule CODE prints the rule documentation from its metadata', () => {
    for (const rule of rules) {
      const m = rule.meta;
      for (const query of [m.code, m.code.toLowerCase(), m.name]) {
        const r = runCli(['rule', query], { cwd });
        assert.equal(r.code, 0, query);
        assert.ok(r.stdout.startsWith(`${m.code} ${m.name}\n`), r.stdout);
        for (const part of [m.summary, m.explanation, `Default severity: ${m.defaultSeverity}`, ruleDocsUrl(m.code)]) {
          assert.ok(r.stdout.includes(part), `${query}: ${part.slice(0, 40)}`);
        }
        // The examples, indented.
        for (const line of [...m.wrong.split('\n'), ...m.right.split('\n')].filter(Boolean))
          assert.ok(r.stdout.includes(`    ${line}\n`), line);
      }
    }
  });

  it('rule without a code lists every rule; an unknown rule exits 2', () => {
    const list = runCli(['rule'], { cwd });
    assert.equal(list.code, 0);
    assert.deepEqual(
      list.stdout
        .trimEnd()
        .split('\n')
        .map((l) => l.split(/\s+/).slice(0, 2).join(' ')),
      rules.map((r) => `${r.meta.code} ${r.meta.name}`),
    );
    const unknown = runCli(['rule', 'RG999'], { cwd });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^error: unknown rule "RG999"/);
  });
});
