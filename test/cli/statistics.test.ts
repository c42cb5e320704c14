// `reglens check --statistics`: each rule's count, most first, instead of each problem.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BLOCK, CLEAN, makeTree, ONLY_RG006, runCli } from './helpers';

describe('reglens check --statistics', () => {
  it('counts each rule, most first, marks what --fix fixes, and ends with the usual summary', () => {
    const dir = makeTree({ 'a.py': BLOCK, 'b.py': ONLY_RG006, 'clean.py': CLEAN });
    const r = runCli(['check', '--statistics', '.'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.equal(
      r.stdout,
      [
        '2\tRG006\t[*] regularizer-active-in-eval',
        '1\tRG007\t[ ] unused-regularizer',
        'Found 3 problems.',
        '[*] 2 fixable with the --fix option.',
        '(1 hidden fix can be enabled with the --unsafe-fixes option.)',
        'Checked 3 files.',
        '',
      ].join('\n'),
    );
    // With --unsafe-fixes the unsafe removal counts as fixable.
    const unsafe = runCli(['check', '--statistics', '--unsafe-fixes', '.'], { cwd: dir });
    assert.match(unsafe.stdout, /^1\tRG007\t\[\*\] unused-regularizer$/m);
  });

  it('in JSON, the counts and what --fix would fix of each', () => {
    const dir = makeTree({ 'a.py': BLOCK, 'b.py': ONLY_RG006 });
    const r = runCli(['check', '--statistics', '--format', 'json', '.'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout), {
      version: 1,
      statistics: [
        { code: 'RG006', name: 'regularizer-active-in-eval', count: 2, fixable: 2 },
        { code: 'RG007', name: 'unused-regularizer', count: 1, fixable: 0 },
      ],
      summary: { checked: 2, skipped: 0, failed: 0 },
    });
  });

  it('says all checks passed when nothing is found, and refuses what it cannot print', () => {
    const dir = makeTree({ 'clean.py': CLEAN });
    const clean = runCli(['check', '--statistics', '.'], { cwd: dir });
    assert.equal(clean.code, 0);
    assert.equal(clean.stdout, 'All checks passed! (1 file)\n');
    const sarif = runCli(['check', '--statistics', '--format', 'sarif', '.'], { cwd: dir });
    assert.equal(sarif.code, 2);
    assert.match(sarif.stderr, /--statistics prints text or json, not sarif/);
    const diff = runCli(['check', '--statistics', '--diff', '.'], { cwd: dir });
    assert.equal(diff.code, 2);
    assert.match(diff.stderr, /--statistics counts problems; --diff prints changes/);
  });
});
