import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { lintText } from '../server/engine/analyze';
import { findingsInCells, NotebookText, parseNotebook } from '../server/engine/notebook';
import { initParser } from '../server/engine/parser';
import { rules } from '../server/rules';

const examples = path.join(__dirname, '..', 'examples');

before(() => initParser());

test('the bundled examples trigger every rule', () => {
  const codes = new Set<string>();
  for (const f of fs.readdirSync(examples).filter((f) => f.endsWith('.py'))) {
    for (const finding of lintText(rules, fs.readFileSync(path.join(examples, f), 'utf8'))) codes.add(finding.code);
  }
  assert.deepEqual([...codes].sort(), rules.map((r) => r.meta.code).sort());
});

test('the clean examples stay clean', () => {
  const dir = path.join(examples, 'clean');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.py'));
  assert.ok(files.length >= 2);
  for (const f of files) assert.deepEqual(lintText(rules, fs.readFileSync(path.join(dir, f), 'utf8')), [], f);
});

test('the example notebook is analysed across its cells', () => {
  const notebook = parseNotebook(fs.readFileSync(path.join(examples, 'notebook_classifier.ipynb'), 'utf8'));
  const joined = new NotebookText(notebook.cells);
  // RG006 in cell 4 holds only because `Classifier` inherits nn.Module through `Backbone` in cell 2.
  assert.deepEqual(
    findingsInCells(joined, lintText(rules, joined.text)).map((f) => `${f.finding.code}@cell ${f.cell.index}`),
    ['RG008@cell 2', 'RG006@cell 4'],
  );
});
