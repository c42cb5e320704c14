// Notebooks through LSP 3.17 notebook sync, with the real server over stdio: findings across cells, in cell
// coordinates, kept current through cell edits, inserts, deletes and moves; fixes, noqa, fix-all, hovers and lenses
// per cell; IPython syntax without findings.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CodeAction, Diagnostic } from 'vscode-languageserver-protocol/node';
import { CAPTURE, CELLS, HEAD, IMPORTS, MAGICS } from '../notebooks/fixtures';
import {
  applyTextEdits,
  cellUri,
  editsFor,
  isCodeAction,
  positionOf,
  TestClient,
  tempProject,
  type TestCell,
} from './client';

let client: TestClient;
const project = tempProject();
let counter = 0;

before(async () => {
  client = await TestClient.start({ env: { REGLENS_DEBUG: '1' } });
});

after(() => {
  client.dispose();
  project.cleanup();
});

/** A fresh notebook with the fixture's cells; `cells[i]` is cell i of the fixture (markdown cells included). */
function fixtureNotebook(): { uri: string; cells: TestCell[] } {
  const uri = project.uri(`notebook${++counter}.ipynb`);
  return { uri, cells: CELLS.map((c, i) => ({ uri: cellUri(uri, `c${i}`), kind: c.kind, text: c.text })) };
}

const where = (diagnostics: readonly Diagnostic[] | undefined) =>
  (diagnostics ?? []).map(
    (d) => `${d.code}@${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character}`,
  );

/** Once answered, the server has analysed everything sent before and published the result (hover analyses first). */
async function settled(cell: TestCell): Promise<void> {
  await client.hover(cell.uri, { line: 0, character: 0 });
}

async function openFixture(): Promise<{ uri: string; cells: TestCell[] }> {
  const notebook = fixtureNotebook();
  client.openNotebook(notebook.uri, notebook.cells);
  await client.diagnostics(notebook.cells[5].uri);
  await settled(notebook.cells[1]);
  return notebook;
}

describe('notebook diagnostics', () => {
  test('are analysed across cells in order, published per cell in its coordinates, nothing for IPython', async () => {
    const { cells } = await openFixture();
    // RG006 in cell 5 needs F (cell 1) and Base (cell 2); RG011 in the %%capture body; nothing in %%writefile.
    assert.deepEqual(where(client.current(cells[2].uri)), ['RG008@4:31-4:34']);
    assert.deepEqual(where(client.current(cells[5].uri)), ['RG006@3:15-3:32']);
    assert.deepEqual(where(client.current(cells[7].uri)), ['RG011@3:8-3:49']);
    for (const i of [1, 4, 6]) assert.deepEqual(client.current(cells[i].uri), [], `cell ${i}`);
    // Markdown cells get nothing at all.
    assert.equal(client.current(cells[0].uri), undefined);
    assert.equal(client.current(cells[3].uri), undefined);
    assert.equal(HEAD.split('\n')[3].slice(15, 32), 'F.dropout(x, 0.1)');
    assert.doesNotMatch(client.stderr + client.logs.map((l) => l.message).join('\n'), /failed|error/i);
  });

  test('an inserted cell shifts nothing; its own findings appear', async () => {
    const { uri, cells } = await openFixture();
    const extra: TestCell = {
      uri: cellUri(uri, 'extra'),
      kind: 'code',
      text: 'class Extra(Base):\n    def forward(self, x):\n        return F.dropout(x, 0.3)\n',
    };
    const top: TestCell = { uri: cellUri(uri, 'top'), kind: 'code', text: '# three\n# more\n# lines\n' };
    client.changeNotebookCells(uri, 2, 0, 0, [], [top]);
    client.changeNotebookCells(uri, 3, 7, 0, [], [extra]);
    assert.deepEqual(where(await client.diagnostics(extra.uri)), ['RG006@2:15-2:32']);
    await settled(cells[1]);
    assert.deepEqual(where(client.current(cells[2].uri)), ['RG008@4:31-4:34']);
    assert.deepEqual(where(client.current(cells[5].uri)), ['RG006@3:15-3:32']);
    assert.deepEqual(client.current(top.uri), []);
  });

  test('deleting a cell clears its diagnostics and re-checks the cells that depended on it', async () => {
    const { uri, cells } = await openFixture();
    const headCleared = client.nextDiagnostics(cells[5].uri);
    const baseCleared = client.nextDiagnostics(cells[2].uri);
    client.changeNotebookCells(uri, 2, 2, 1, [cells[2]], []);
    // Without Base, Head is no nn.Module: its RG006 goes; Base's own diagnostics are cleared.
    assert.deepEqual(await baseCleared, []);
    assert.deepEqual(await headCleared, []);
    await settled(cells[1]);
    // A discarded F.dropout result is wrong in any class: RG011 stays, on its own cell.
    assert.deepEqual(where(client.current(cells[7].uri)), ['RG011@3:8-3:49']);
  });

  test('moving cells keeps every finding on its own cell', async () => {
    const { uri, cells } = await openFixture();
    // Move Head (5) before Base (2): VS Code reports a move as a delete and an insert.
    client.changeNotebookCells(uri, 2, 5, 1, [cells[5]], []);
    client.changeNotebookCells(uri, 3, 2, 0, [], [{ ...cells[5], version: 2 }]);
    await settled(cells[1]);
    assert.deepEqual(where(client.current(cells[2].uri)), ['RG008@4:31-4:34']);
    assert.deepEqual(where(client.current(cells[5].uri)), ['RG006@3:15-3:32']);
    assert.deepEqual(where(client.current(cells[7].uri)), ['RG011@3:8-3:49']);
    for (const i of [1, 4, 6]) assert.deepEqual(client.current(cells[i].uri), [], `cell ${i}`);
  });

  test('editing one cell updates the findings of others that depend on it', async () => {
    const { uri, cells } = await openFixture();
    const headCleared = client.nextDiagnostics(cells[5].uri);
    // Delete `import torch.nn.functional as F` (line 3 of the imports cell): F.dropout is no longer torch's.
    client.changeCell(uri, 2, cells[1].uri, 2, [
      { range: { start: { line: 3, character: 0 }, end: { line: 4, character: 0 } }, text: '' },
    ]);
    assert.deepEqual(await headCleared, []);
    const back = client.nextDiagnostics(cells[5].uri);
    client.changeCell(uri, 3, cells[1].uri, 3, [
      {
        range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } },
        text: 'import torch.nn.functional as F\n',
      },
    ]);
    assert.deepEqual(where(await back), ['RG006@3:15-3:32']);
    // Fix the rate in Base: its cell is published empty.
    const baseCleared = client.nextDiagnostics(cells[2].uri);
    client.changeCell(uri, 4, cells[2].uri, 2, [
      { range: { start: { line: 4, character: 31 }, end: { line: 4, character: 34 } }, text: '0.1' },
    ]);
    assert.deepEqual(await baseCleared, []);
  });

  test('a cell left ending in a lone \\r moves no finding of the cells after it', async () => {
    const { uri, cells } = await openFixture();
    const lines = cells[1].text.split('\n');
    const end = { line: lines.length - 1, character: lines[lines.length - 1].length };
    client.changeCell(uri, 2, cells[1].uri, 2, [{ range: { start: end, end }, text: '\n\r' }]);
    cells[1].text += '\n\r';
    await settled(cells[1]);
    // Cell 5's finding is where it was, on its own line (before: a line up, as the lone \r merged with the joint).
    assert.deepEqual(where(client.current(cells[5].uri)), ['RG006@3:15-3:32']);
    assert.deepEqual(where(client.current(cells[2].uri)), ['RG008@4:31-4:34']);
  });

  test('closing the notebook clears every cell', async () => {
    const { uri, cells } = await openFixture();
    const cleared = [2, 5, 7].map((i) => client.nextDiagnostics(cells[i].uri));
    client.closeNotebook(uri, cells);
    assert.deepEqual(await Promise.all(cleared), [[], [], []]);
    // Opened again (as after a revert and close): every cell gets its problems back.
    const back = client.nextDiagnostics(cells[5].uri);
    client.openNotebook(uri, cells, 2);
    assert.deepEqual(where(await back), ['RG006@3:15-3:32']);
  });
});

describe('notebook code actions, hovers and lenses', () => {
  async function actions(cell: TestCell, diagnostics: Diagnostic[], only?: string[]): Promise<CodeAction[]> {
    const range = diagnostics[0]?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    const result = (await client.codeActions(cell.uri, range, diagnostics, only)) ?? [];
    assert.ok(result.every(isCodeAction));
    return result as CodeAction[];
  }

  test('a quick fix and a noqa edit address the cell, in its coordinates; applied, the finding goes', async () => {
    const { uri, cells } = await openFixture();
    const rg006 = client.current(cells[5].uri)!;
    const found = await actions(cells[5], rg006);
    assert.deepEqual(
      found.map((a) => a.title),
      [
        'Reglens (RG006): Pass `training=self.training`',
        'Disable RG006 for this line',
        'Fix all safe Reglens problems',
        'Show documentation for RG006',
      ],
    );
    const [fix, noqa] = found;
    assert.deepEqual(fix.diagnostics, rg006);
    const fixed = applyTextEdits(HEAD, editsFor(fix.edit, cells[5].uri));
    assert.equal(fixed, HEAD.replace('F.dropout(x, 0.1)', 'F.dropout(x, 0.1, training=self.training)'));
    assert.deepEqual(
      fix.edit?.documentChanges?.map((c) => ('textDocument' in c ? c.textDocument : null)),
      [{ uri: cells[5].uri, version: 1 }],
    );
    assert.equal(
      applyTextEdits(HEAD, editsFor(noqa.edit, cells[5].uri)),
      HEAD.replace('F.dropout(x, 0.1)\n', 'F.dropout(x, 0.1)  # noqa: RG006\n'),
    );

    const cleared = client.nextDiagnostics(cells[5].uri);
    const edits = editsFor(fix.edit, cells[5].uri);
    client.changeCell(
      uri,
      2,
      cells[5].uri,
      2,
      edits.map((e) => ({ range: e.range, text: e.newText })),
    );
    assert.deepEqual(await cleared, []);
    assert.deepEqual(await actions(cells[5], rg006), [], 'a stale diagnostic gets no action');
  });

  test('fix-all in a cell fixes that cell only', async () => {
    const { cells } = await openFixture();
    const [fixAll] = await actions(cells[7], [], ['source.fixAll.reglens']);
    assert.equal(fixAll.kind, 'source.fixAll.reglens');
    assert.deepEqual(Object.keys(fixAll.edit?.changes ?? {}), []);
    assert.deepEqual(
      fixAll.edit?.documentChanges?.map((c) => ('textDocument' in c ? c.textDocument.uri : null)),
      [cells[7].uri],
    );
    assert.equal(
      applyTextEdits(CAPTURE, editsFor(fixAll.edit, cells[7].uri)),
      CAPTURE.replace('        F.dropout(', '        x = F.dropout('),
    );
    assert.deepEqual(await actions(cells[2], [], ['source.fixAll.reglens']), [], 'the RG008 cell has no safe fix');
  });

  test('a fix whose edit would span two cells is not offered; its noqa still is', async () => {
    const uri = project.uri(`notebook${++counter}.ipynb`);
    // RG007's fix deletes the unused line with its line break; the cell has no final line break, so the
    // deletion would reach into the next cell.
    const net =
      'class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.drop = nn.Dropout(0.1)';
    const cells: TestCell[] = [
      { uri: cellUri(uri, 'a'), kind: 'code', text: IMPORTS },
      { uri: cellUri(uri, 'b'), kind: 'code', text: net },
      { uri: cellUri(uri, 'c'), kind: 'code', text: 'x = 1\n' },
    ];
    client.openNotebook(uri, cells);
    const diagnostics = await client.diagnostics(cells[1].uri);
    assert.deepEqual(where(diagnostics), ['RG007@3:8-3:35']);
    const found = await actions(cells[1], diagnostics);
    assert.deepEqual(
      found.map((a) => a.title),
      ['Disable RG007 for this line', 'Show documentation for RG007'],
    );
    // In a file, the same finding has its fix.
    const file = project.uri(`net${counter}.py`);
    client.open(file, `${IMPORTS.replace(/^%.*\n/gm, '') + net}\nx = 1\n`);
    const inFile = await client.diagnostics(file);
    const fileActions = (await client.codeActions(file, inFile[0].range, inFile)) as CodeAction[];
    assert.ok(
      fileActions.some((a) => /Remove/.test(a.title)),
      fileActions.map((a) => a.title).join(', '),
    );
  });

  test('a noqa code in a cell shows its rule, with the range in cell coordinates; a problem has no hover', async () => {
    const { uri, cells } = await openFixture();
    // A problem's hover is VS Code's own (its message and code link), as in Ruff: the server adds nothing.
    assert.equal(await client.hover(cells[5].uri, positionOf(HEAD, 'dropout')), null);
    const silenced = client.nextDiagnostics(cells[5].uri);
    const end = { line: 3, character: 32 };
    client.changeCell(uri, 2, cells[5].uri, 2, [{ range: { start: end, end }, text: '  # noqa: RG006' }]);
    assert.deepEqual(await silenced, []);
    const hover = await client.hover(cells[5].uri, { line: 3, character: 44 });
    assert.ok(hover && typeof hover.contents === 'object' && 'value' in hover.contents);
    assert.match(hover.contents.value, /^\*\*RG006 regularizer-active-in-eval\*\*/);
    assert.deepEqual(hover.range, { start: { line: 3, character: 42 }, end: { line: 3, character: 47 } });
    assert.equal(await client.hover(cells[4].uri, positionOf(MAGICS, 'Dropout?')), null);
  });

  test('code lenses of a cell are its own sites, in its coordinates', async () => {
    const { uri, cells } = await openFixture();
    const lenses = (await client.codeLenses(cells[5].uri)) ?? [];
    assert.deepEqual([...new Set(lenses.map((l) => `${l.range.start.line}:${l.range.start.character}`))], ['3:15']);
    // Profiling runs on the notebook as a whole (the site ids are the joined text's).
    assert.equal(lenses[0].command?.arguments?.[0], uri);
    const base = (await client.codeLenses(cells[2].uri)) ?? [];
    // The construction `nn.Dropout(1.5)` and the call `self.drop(self.fc(x))`.
    assert.deepEqual(
      [...new Set(base.map((l) => `${l.range.start.line}:${l.range.start.character}`))],
      ['4:20', '7:15'],
    );
    assert.deepEqual((await client.codeLenses(cells[1].uri)) ?? [], []);
  });
});

describe('notebook profiling', () => {
  test(
    'a cell lens profiles its site; the figure reaches the lens and the cell diagnostic; "profile file" in a ' +
      'cell profiles the notebook',
    async () => {
      const profiler = await TestClient.start({
        settings: () => ({ profiler: { backend: 'cpu', timeoutMs: 120000 } }),
      });
      try {
        const uri = project.uri(`profiled${++counter}.ipynb`);
        const head =
          'class Head(nn.Module):\n    def forward(self, x):\n        return F.dropout(x, 0.1)  # reglens: shape=[4, ' +
          '64, 96]\n';
        const cells: TestCell[] = [
          { uri: cellUri(uri, 'a'), kind: 'code', text: IMPORTS },
          { uri: cellUri(uri, 'b'), kind: 'code', text: head },
        ];
        profiler.openNotebook(uri, cells);
        const [rg006] = await profiler.diagnostics(cells[1].uri);
        assert.equal(rg006.code, 'RG006');
        const [lens] = ((await profiler.codeLenses(cells[1].uri)) ?? []).filter(
          (l) => l.command?.command === 'reglens.profileSite',
        );
        assert.deepEqual(lens.range.start, { line: 2, character: 15 });
        const measured = profiler.nextDiagnostics(cells[1].uri, 120_000);
        await profiler.connection.sendRequest('workspace/executeCommand', {
          command: lens.command!.command,
          arguments: lens.command!.arguments,
        });
        const [annotated] = await measured;
        assert.notEqual(annotated.message, rg006.message, 'the measured figure is added to the cell diagnostic');
        assert.match(((await profiler.codeLenses(cells[1].uri)) ?? [])[0].command!.title, /^train: /);
        const all = (await profiler.connection.sendRequest('workspace/executeCommand', {
          command: 'reglens.profileFile',
          arguments: [cells[1].uri],
        })) as { profiled: number; failed: string[] };
        assert.deepEqual(all.failed, []);
        assert.equal(all.profiled, 1);
      } finally {
        profiler.dispose();
      }
    },
  );
});
