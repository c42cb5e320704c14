import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { lintText } from '../../server/engine/analyze';
import { RuleSelection } from '../../server/engine/config';
import {
  blankIPython,
  findingsInCells,
  fixNotebook,
  NotebookText,
  parseNotebook,
  serializeNotebook,
} from '../../server/engine/notebook';
import { initParser, SourceFile, treeErrorCount } from '../../server/engine/parser';
import { BASE, CAPTURE, CELLS, HEAD, IMPORTS, MAGICS, notebookJson, WRITEFILE } from '../notebooks/fixtures';
import { rules } from '../../server/rules';

before(() => initParser());

const codeCells = () => CELLS.flatMap((c, index) => (c.kind === 'code' ? [{ index, text: c.text }] : []));

describe('IPython syntax', () => {
  test('is blanked to text of the same length and lines, and the rest parses without errors', () => {
    for (const cell of [IMPORTS, MAGICS, WRITEFILE, CAPTURE]) {
      const { text } = blankIPython(cell);
      assert.equal(text.length, cell.length);
      assert.deepEqual(
        text.split('\n').map((l) => l.length),
        cell.split('\n').map((l) => l.length),
      );
      const file = new SourceFile(text);
      try {
        assert.equal(treeErrorCount(file.tree), 0, text);
      } finally {
        file.dispose();
      }
    }
  });

  test(
    'keeps Python that only looks like IPython: a modulo continuing a bracket, `%` and `?` in strings and ' +
      'comments',
    () => {
      const python = 'x = (3\n     % 2)\ns = """\n%s done?\n"""\ny = 1  # why?\n';
      assert.equal(blankIPython(python).text, python);
      assert.equal(blankIPython(MAGICS).text.split('\n').slice(8, 10).join('\n'), 'x = (3\n     % 2)');
    },
  );

  test('blanks a cell under a magic whose body is not Python, only the first line of %%capture/%%time', () => {
    // Blank lines, not `pass`: the body's own indentation would be an unexpected indent.
    assert.equal(blankIPython(WRITEFILE).text, WRITEFILE.replace(/[^\n]/g, ' '));
    assert.equal(blankIPython(CAPTURE).text, CAPTURE.replace('%%capture', ' '.repeat(9)));
    // A magic continued over two lines.
    assert.equal(blankIPython('!ls \\\n  -la\nx = 1\n').text, 'pass \n     \nx = 1\n');
    assert.equal(blankIPython('if ok:\n    !ls\n').text, 'if ok:\n    ...\n');
  });
});

describe('NotebookText', () => {
  test('analyses the cells in order: imports and base class come from earlier cells', () => {
    const notebook = new NotebookText(codeCells());
    const found = findingsInCells(notebook, lintText(rules, notebook.text)).map(
      (f) => `${f.finding.code}@${f.cell.index}:${f.finding.range.start.line}:${f.finding.range.start.character}`,
    );
    assert.deepEqual(found, ['RG008@2:4:31', 'RG006@5:3:15', 'RG011@7:3:8']);
    // Head alone, or after the imports but without Base, is not a module: no finding.
    assert.deepEqual(
      lintText(
        rules,
        new NotebookText([
          { index: 0, text: IMPORTS },
          { index: 1, text: HEAD },
        ]).text,
      ),
      [],
    );
  });

  test('a cell with a syntax error (being typed) does not hide the findings of the cells after it', () => {
    // Jupyter compiles each cell on its own; the joined text must not let an open bracket or string swallow the rest.
    const brokenCells = [
      'x = foo(\n',
      's = """unclosed\n',
      'def f(:\n',
      'if x:\n',
      'class A(nn.Module):\n    def forward(self, x):\n        return F.dropout(x, 0.1\n',
    ];
    for (const broken of brokenCells) {
      const notebook = new NotebookText([
        { index: 0, text: IMPORTS },
        { index: 1, text: BASE },
        { index: 2, text: broken },
        { index: 3, text: HEAD },
      ]);
      assert.deepEqual(
        findingsInCells(notebook, lintText(rules, notebook.text)).map((f) => `${f.finding.code}@${f.cell.index}`),
        ['RG008@1', 'RG006@3'],
        broken,
      );
    }
  });

  test('maps positions both ways', () => {
    const notebook = new NotebookText(codeCells());
    for (const cell of notebook.cells) {
      const lines = cell.text.split('\n');
      for (let line = 0; line < lines.length; line++) {
        const there = notebook.fromCell(cell.index, { line, character: lines[line].length })!;
        assert.deepEqual(notebook.toCell(there), { cell, position: { line, character: lines[line].length } });
        assert.equal(notebook.text.split('\n')[there.line].length, lines[line].length);
      }
    }
    assert.equal(notebook.toCell({ line: 10_000, character: 0 }), null);
  });

  test('a cell ending in a lone \\r keeps its last line: the next cell starts a line later', () => {
    // As the LSP fuzzer produced it: an edit left a cell ending in "\n\r", which a plain "\n" joined into "\r\n".
    const notebook = new NotebookText([
      { index: 0, text: 'import torch\n\r' },
      { index: 1, text: 'x = torch.nn.Dropout(0.1)' },
    ]);
    assert.equal(notebook.cells[1].startLine, 3);
    const joinedLines = notebook.text.split(/\r\n|\r|\n/);
    assert.equal(joinedLines[3], 'x = torch.nn.Dropout(0.1)');
    assert.deepEqual(notebook.toCell({ line: 3, character: 4 }), {
      cell: notebook.cells[1],
      position: { line: 0, character: 4 },
    });
    assert.deepEqual(notebook.toCell({ line: 2, character: 0 })?.position, { line: 2, character: 0 });
  });

  test('refuses edits that span cells or change IPython text', () => {
    const notebook = new NotebookText(codeCells());
    const base = notebook.cells.find((c) => c.index === 2)!;
    const head = notebook.cells.find((c) => c.index === 5)!;
    const spanning = {
      range: { start: { line: base.startLine + 7, character: 0 }, end: { line: head.startLine, character: 0 } },
      newText: '',
    };
    assert.equal(notebook.editsToCells([spanning]), null);
    const magic = {
      range: {
        start: { line: notebook.cells[0].startLine, character: 1 },
        end: { line: notebook.cells[0].startLine, character: 3 },
      },
      newText: 'x',
    };
    assert.equal(notebook.editsToCells([magic]), null);
    const inside = {
      range: { start: { line: head.startLine + 3, character: 0 }, end: { line: head.startLine + 3, character: 4 } },
      newText: '',
    };
    assert.deepEqual(
      notebook.editsToCells([inside])?.map((m) => [m.cell.index, m.edits[0].range.start.line]),
      [[5, 3]],
    );
  });
});

describe('notebook files', () => {
  test('fixes cells, keeps IPython lines, and writes the JSON back as Jupyter lays it out', () => {
    const text = notebookJson(CELLS);
    const notebook = parseNotebook(text);
    assert.deepEqual(
      notebook.cells.map((c) => c.index),
      [1, 2, 4, 5, 6, 7],
    );
    const result = fixNotebook(rules, notebook.cells, new RuleSelection({}));
    assert.deepEqual([...result.applied.keys()].sort(), ['RG006', 'RG011']);
    assert.deepEqual(
      result.remaining.map((f) => f.code),
      ['RG008'],
    );
    const changed = new Map<number, string>();
    notebook.cells.forEach((c, i) => {
      if (result.texts[i] !== c.text) changed.set(c.index, result.texts[i]);
    });
    assert.deepEqual([...changed.keys()], [5, 7]);
    const written = serializeNotebook(notebook, changed);
    const expected = CELLS.map((c) =>
      c.text === HEAD
        ? { ...c, text: HEAD.replace('F.dropout(x, 0.1)', 'F.dropout(x, 0.1, training=self.training)') }
        : c.text === CAPTURE
          ? { ...c, text: CAPTURE.replace('        F.dropout(', '        x = F.dropout(') }
          : c,
    );
    assert.equal(written, notebookJson(expected));
    // Applying the fixes again changes nothing.
    const again = parseNotebook(written);
    const second = fixNotebook(rules, again.cells, new RuleSelection({}));
    assert.equal(second.applied.size, 0);
  });

  test(
    'a fix changes only the sources of the cells it fixes: numbers, escapes and layout elsewhere stay byte for ' +
      'byte',
    () => {
      const model =
        'import torch.nn as nn\nimport torch.nn.functional as F\nclass A(nn.Module):\n    def forward(self, x):\n    ' +
        '    return F.dropout(x, 0.1)';
      const fixedModel = model.replace('F.dropout(x, 0.1)', 'F.dropout(x, 0.1, training=self.training)');
      // Written by Python's json (nbformat): `1.0`, `1e-05`, `\u00e9`-style escapes and `"\/"` JSON.stringify would all
      // rewrite.
      const cells = (source: string) => [
        `  {\n   "cell_type": "code",\n   "execution_count": 1.0,\n   "metadata": {"scrolled": true, "lr": 1e-05},\n ` +
          `  "outputs": [{"name": "stdout", "output_type": "stream", "text": ["caf\\u00e9 \\/ 2.50\\n"]}],\n   ` +
          `"source": ${source}\n  }`,
        `  {\n   "cell_type": "markdown",\n   "metadata": {},\n   "source": ["# R\\u00e9sum\\u00e9"]\n  }`,
      ];
      const lines = (text: string, indent: string) =>
        `[\n${text
          .split(/(?<=\n)/)
          .map((l) => `${indent}${JSON.stringify(l)}`)
          .join(',\n')}\n   ]`;
      const file = (source: string) =>
        `{\n "cells": [\n${cells(source).join(',\n')}\n ],\n "metadata": {"version": 3.10},\n "nbformat": 4,\n ` +
        `"nbformat_minor": 5\n}\n`;
      const before = file(lines(model, '    '));
      const notebook = parseNotebook(before);
      const result = fixNotebook(rules, notebook.cells, new RuleSelection({}));
      assert.equal(result.texts[0], fixedModel);
      const written = serializeNotebook(notebook, new Map([[0, result.texts[0]]]));
      assert.equal(written, file(lines(fixedModel, '    ')));
      assert.equal(
        serializeNotebook(parseNotebook(written), new Map([[0, fixedModel]])),
        written,
        'writing the same source again changes nothing',
      );

      // A source kept as one string stays one string; a notebook on one line stays on one line.
      const oneLine = JSON.stringify({
        cells: [{ cell_type: 'code', metadata: {}, outputs: [], source: model }],
        nbformat: 4,
      }).replace('"outputs":[]', '"outputs":[],"x":1.50');
      const flat = parseNotebook(oneLine);
      assert.equal(
        serializeNotebook(flat, new Map([[0, fixedModel]])),
        oneLine.replace(JSON.stringify(model), JSON.stringify(fixedModel)),
      );
    },
  );

  test('says what is wrong with a file that is not a notebook', () => {
    assert.throws(() => parseNotebook('{"cells": ['), /not a valid notebook: invalid JSON/);
    assert.throws(() => parseNotebook('{"worksheets": []}'), /no "cells" array/);
  });
});
