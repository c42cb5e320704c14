import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { BLOCK, CLEAN, makeTree, ONLY_RG006, parseJson, runCli, summary } from './helpers';

const KEYS = ['path', 'line', 'column', 'endLine', 'endColumn', 'code', 'name', 'severity', 'message', 'fix'];

describe('reglens check --format json', () => {
  it('reports the exact shape with 1-based positions, and exits 1 on findings', () => {
    const dir = makeTree({ 'model.py': BLOCK });
    const r = runCli(['check', '--format', 'json', 'model.py'], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    const report = parseJson(r.stdout);
    assert.deepEqual(Object.keys(report), ['version', 'diagnostics', 'summary']);
    assert.deepEqual(report.summary, { checked: 1, skipped: 0, failed: 0 });
    assert.equal(report.version, 1);
    assert.equal(report.diagnostics.length, 2);
    for (const d of report.diagnostics) assert.deepEqual(Object.keys(d), KEYS);

    const [rg007, rg006] = report.diagnostics;
    assert.match(rg007.message, /self\.drop/);
    assert.deepEqual(
      { ...rg007, message: '' },
      {
        path: 'model.py',
        line: 8,
        column: 9,
        endLine: 8,
        endColumn: 36, // `self.drop = nn.Dropout(0.1)` spans columns 9..35
        code: 'RG007',
        name: 'unused-regularizer',
        severity: 'warning',
        message: '',
        fix: { applicability: 'unsafe', edits: [{ line: 8, column: 1, endLine: 9, endColumn: 1, content: '' }] },
      },
    );
    assert.match(rg006.message, /F\.dropout/);
    assert.deepEqual(
      { ...rg006, message: '' },
      {
        path: 'model.py',
        line: 11,
        column: 13,
        endLine: 11,
        endColumn: 30, // `F.dropout(x, 0.1)` spans columns 13..29
        code: 'RG006',
        name: 'regularizer-active-in-eval',
        severity: 'warning',
        message: '',
        fix: {
          applicability: 'safe',
          edits: [{ line: 11, column: 29, endLine: 11, endColumn: 29, content: ', training=self.training' }],
        },
      },
    );
  });

  it('prints an empty list, what was checked, and exits 0 for clean files', () => {
    const dir = makeTree({ 'clean.py': CLEAN, 'plain.py': 'print("hello")\n' });
    const r = runCli(['check', '--format', 'json', '.'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      version: 1,
      diagnostics: [],
      summary: { checked: 2, skipped: 0, failed: 0 },
    });
  });

  it('exits 0 with findings under --exit-zero, still reporting them', () => {
    const dir = makeTree({ 'model.py': BLOCK });
    const r = runCli(['check', '--format', 'json', '--exit-zero', 'model.py'], { cwd: dir });
    assert.equal(r.code, 0);
    assert.deepEqual(summary(r.stdout), ['model.py:8:9 RG007', 'model.py:11:13 RG006']);
  });

  it('counts columns in UTF-16 code units, plus one', () => {
    const source = ONLY_RG006.replace(
      '        return F.dropout(x, 0.5)',
      '        s = "é😀"; return F.dropout(x, 0.5)',
    );
    const dir = makeTree({ 'wide.py': source });
    const r = runCli(['check', '--format', 'json', 'wide.py'], { cwd: dir });
    const [d] = parseJson(r.stdout).diagnostics;
    const lineText = source.split('\n')[5];
    // JavaScript string indices are UTF-16 code units: 😀 counts 2, é counts 1.
    assert.equal(d.line, 6);
    assert.equal(d.column, lineText.indexOf('F.dropout') + 1);
    assert.equal(d.column, 27);
    assert.equal(d.endColumn, lineText.indexOf('F.dropout(x, 0.5)') + 'F.dropout(x, 0.5)'.length + 1);
  });

  it('reports paths as given, joined with the path inside a named folder', () => {
    const dir = makeTree({ 'src/pkg/model.py': ONLY_RG006, 'sub/.keep': '' });
    const cases: [string, string[], string][] = [
      [dir, ['src'], path.join('src', 'pkg', 'model.py')],
      [dir, ['./src/'], path.join('./src/', 'pkg/model.py')],
      [dir, ['.'], path.join('src', 'pkg', 'model.py')],
      [dir, [], path.join('src', 'pkg', 'model.py')],
      [dir, ['./src/pkg/model.py'], './src/pkg/model.py'],
      [path.join(dir, 'sub'), ['../src'], path.join('..', 'src', 'pkg', 'model.py')],
      [dir, [path.join(dir, 'src')], path.join(dir, 'src', 'pkg', 'model.py')],
    ];
    for (const [cwd, args, expected] of cases) {
      const r = runCli(['check', '--format', 'json', ...args], { cwd });
      assert.deepEqual(
        parseJson(r.stdout).diagnostics.map((d) => d.path),
        [expected],
        `check ${args.join(' ')}`,
      );
    }
  });

  it('sorts by path, then position, and reports a file named twice once', () => {
    const dir = makeTree({ 'b.py': BLOCK, 'a.py': ONLY_RG006, 'sub/c.py': ONLY_RG006 });
    const r = runCli(['check', '--format', 'json', 'sub', 'b.py', 'a.py', '.'], { cwd: dir });
    assert.deepEqual(summary(r.stdout), [
      'a.py:6:16 RG006',
      'b.py:8:9 RG007',
      'b.py:11:13 RG006',
      'sub/c.py:6:16 RG006',
    ]);
    assert.ok(fs.existsSync(path.join(dir, 'sub', 'c.py')));
  });
});
