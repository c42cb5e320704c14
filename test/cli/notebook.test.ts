import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CAPTURE, CELLS, HEAD, notebookJson } from '../notebooks/fixtures';
import { BLOCK, makeTree, parseJson, read, runCli } from './helpers';

const NOTEBOOK = notebookJson(CELLS);

describe('reglens check on notebooks', () => {
  it('reports JSON findings with the cell (from 1, markdown counted) and 1-based line and column in it', () => {
    const dir = makeTree({ 'train.ipynb': NOTEBOOK });
    const r = runCli(['check', '--format', 'json', 'train.ipynb'], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    const diagnostics = parseJson(r.stdout).diagnostics;
    assert.deepEqual(
      diagnostics.map((d) => ({
        path: d.path,
        cell: d.cell,
        line: d.line,
        column: d.column,
        endLine: d.endLine,
        endColumn: d.endColumn,
        code: d.code,
      })),
      [
        { path: 'train.ipynb', cell: 3, line: 5, column: 32, endLine: 5, endColumn: 35, code: 'RG008' },
        { path: 'train.ipynb', cell: 6, line: 4, column: 16, endLine: 4, endColumn: 33, code: 'RG006' },
        { path: 'train.ipynb', cell: 8, line: 4, column: 9, endLine: 4, endColumn: 50, code: 'RG011' },
      ],
    );
    // The fix's edit is in the cell's coordinates too: `, training=self.training` after `0.1` on line 4 of cell 6.
    assert.deepEqual(diagnostics[1].fix?.edits, [
      { line: 4, column: 32, endLine: 4, endColumn: 32, content: ', training=self.training' },
    ]);
    assert.equal(HEAD.split('\n')[3].slice(31), ')');
  });

  it(
    'prints file.ipynb:cell N:line:column in text output, and finds notebooks in folders but not in ' +
      '.ipynb_checkpoints',
    () => {
      const dir = makeTree({
        'nb/train.ipynb': NOTEBOOK,
        'nb/.ipynb_checkpoints/train-checkpoint.ipynb': NOTEBOOK,
        'nb/model.py': BLOCK,
      });
      const r = runCli(['check', 'nb'], { cwd: dir });
      assert.equal(r.code, 1, r.stderr);
      const lines = r.stdout
        .split('\n')
        .filter((l) => / RG\d{3} /.test(l))
        .map((l) => /^(.*? RG\d{3})/.exec(l)![1]);
      assert.deepEqual(lines, [
        'nb/model.py:8:9: RG007',
        'nb/model.py:11:13: RG006',
        'nb/train.ipynb:cell 3:5:32: RG008',
        'nb/train.ipynb:cell 6:4:16: RG006',
        'nb/train.ipynb:cell 8:4:9: RG011',
      ]);
    },
  );

  it('reports a notebook with broken JSON once, checks the other files, and exits 2', () => {
    const dir = makeTree({
      'broken.ipynb': '{"cells": [{"cell_type": "code", "source": ["import torch"',
      'model.py': BLOCK,
    });
    const r = runCli(['check', '.'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.deepEqual(r.stderr.trim().split('\n'), [
      `error: broken.ipynb: not a valid notebook: invalid JSON (${errorOf(
        '{"cells": [{"cell_type": "code", "source": ["import torch"',
      )})`,
    ]);
    assert.match(r.stdout, /model\.py:11:13: RG006/);
  });

  it('checks a notebook larger than the file limit when its code is small (outputs are not code)', () => {
    const big = JSON.parse(NOTEBOOK);
    big.cells[1].outputs = [
      { output_type: 'display_data', data: { 'image/png': 'A'.repeat(9 * 1024 * 1024) }, metadata: {} },
    ];
    const dir = makeTree({ 'plots.ipynb': JSON.stringify(big, null, 1) });
    const r = runCli(['check', 'plots.ipynb'], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /plots\.ipynb:cell 6:4:16: RG006/);
  });

  it('skips a notebook of another language with a warning', () => {
    const other = JSON.parse(NOTEBOOK);
    other.metadata = { kernelspec: { language: 'R', name: 'ir' }, language_info: { name: 'R' } };
    const dir = makeTree({ 'analysis.ipynb': JSON.stringify(other) });
    const r = runCli(['check', 'analysis.ipynb'], { cwd: dir });
    assert.equal(r.code, 0);
    assert.match(r.stderr, /^warning: analysis\.ipynb: not checked: a r notebook, not Python/);
  });

  it('--fix applies the safe fixes inside cells and writes the notebook back as Jupyter lays it out', () => {
    const dir = makeTree({ 'train.ipynb': NOTEBOOK });
    const r = runCli(['check', '--fix', 'train.ipynb'], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /Found 3 problems \(2 fixed, 1 remaining\)\./);
    const fixed = CELLS.map((c) =>
      c.text === HEAD
        ? { ...c, text: HEAD.replace('F.dropout(x, 0.1)', 'F.dropout(x, 0.1, training=self.training)') }
        : c.text === CAPTURE
          ? { ...c, text: CAPTURE.replace('        F.dropout(', '        x = F.dropout(') }
          : c,
    );
    assert.equal(read(dir, 'train.ipynb'), notebookJson(fixed));
    const again = runCli(['check', '--fix', 'train.ipynb'], { cwd: dir });
    assert.match(again.stdout, /Found 1 problem\./);
    assert.equal(read(dir, 'train.ipynb'), notebookJson(fixed));
  });

  it('SARIF names the notebook and says the cell, line and column (its regions would count the JSON lines)', () => {
    const dir = makeTree({ 'train.ipynb': NOTEBOOK });
    const r = runCli(['check', '--format', 'sarif', 'train.ipynb'], { cwd: dir });
    const results = JSON.parse(r.stdout).runs[0].results;
    assert.equal(results.length, 3);
    assert.deepEqual(results[1].locations, [{ physicalLocation: { artifactLocation: { uri: 'train.ipynb' } } }]);
    assert.match(results[1].message.text, /^cell 6, line 4, column 16: `F\.dropout`/);
    assert.deepEqual(results[1].properties, { cell: 6, startLine: 4, startColumn: 16, endLine: 4, endColumn: 33 });
  });

  it('reads a notebook from stdin with --stdin-filename, and --fix writes the fixed notebook to stdout', () => {
    const dir = makeTree({});
    const r = runCli(['check', '--stdin-filename', 'train.ipynb', '--fix', '-'], { cwd: dir, input: NOTEBOOK });
    assert.equal(
      JSON.parse(r.stdout).cells[5].source.join(''),
      HEAD.replace('F.dropout(x, 0.1)', 'F.dropout(x, 0.1, training=self.training)'),
    );
  });
});

function errorOf(json: string): string {
  try {
    JSON.parse(json);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('parsed');
}
