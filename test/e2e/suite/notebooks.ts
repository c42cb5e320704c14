// A Jupyter notebook in VS Code (its built-in ipynb serializer, LSP notebook sync): every cell shows what the engine
// finds in it from the analysis of all code cells in order, a quick fix edits its cell, and deleting the cell a
// finding depends on removes that finding.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import {
  activated,
  engineFindings,
  quickFixesAt,
  reglensDiagnostics,
  sortSummaries,
  summary,
  waitFor,
  waitForDiagnostics,
  workspaceFile,
} from './util';

const NOTEBOOK = 'notebook_classifier.ipynb';

suite('notebooks', () => {
  let notebook: vscode.NotebookDocument;

  suiteSetup(async () => {
    await activated();
    notebook = await vscode.workspace.openNotebookDocument(workspaceFile(NOTEBOOK));
    await vscode.window.showNotebookDocument(notebook);
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('each cell shows exactly what the engine finds in it', async () => {
    const expected = engineFindings(NOTEBOOK);
    // The CLI numbers cells from 1, VS Code's `cell.index` from 0.
    assert.deepEqual([...new Set(expected.map((f) => f.cell))], [3, 5], 'the example has findings in cells 3 and 5');
    for (const cell of notebook.getCells()) {
      const mine = sortSummaries(
        expected
          .filter((f) => f.cell === cell.index + 1)
          .map(({ code, line, column, endLine, endColumn, message }) => ({
            code,
            line,
            column,
            endLine,
            endColumn,
            message,
          })),
      );
      if (mine.length === 0) continue;
      const shown = await waitForDiagnostics(
        cell.document.uri,
        (d) => d.length === mine.length,
        `${mine.length} diagnostics in cell ${cell.index}`,
        20_000,
      );
      assert.deepEqual(sortSummaries(shown.map(summary)), mine, `cell ${cell.index}`);
    }
    // The cells with IPython syntax only (%%time, `Classifier?`) and the imports cell show nothing.
    for (const index of [1, 5, 6])
      assert.deepEqual(reglensDiagnostics(notebook.cellAt(index).document.uri), [], `cell ${index}`);
  });

  test('a quick fix edits its cell', async () => {
    const cell = notebook.cellAt(4);
    // Code actions are asked of the cell's text model, which the workbench resolves when the cell is shown.
    await vscode.window.showNotebookDocument(notebook, { selections: [new vscode.NotebookRange(4, 5)] });
    await vscode.workspace.openTextDocument(cell.document.uri);
    const [rg006] = await waitForDiagnostics(cell.document.uri, (d) => d.length === 1, 'RG006 in cell 4', 20_000);
    const fix = (await quickFixesAt(cell.document.uri, rg006.range)).find(
      (a) => a.title === 'Reglens (RG006): Pass `training=self.training`',
    );
    assert.ok(fix?.edit, 'the RG006 fix is offered in the cell');
    assert.deepEqual(
      fix.edit.entries().map(([uri]) => uri.toString()),
      [cell.document.uri.toString()],
    );
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.match(cell.document.getText(), /F\.dropout\(x, 0\.1, training=self\.training\)/);
    await waitForDiagnostics(cell.document.uri, (d) => d.length === 0, 'no diagnostics in cell 4 once fixed', 20_000);
  });

  test('deleting a cell re-checks the others, with nothing stale', async () => {
    // Undo the fix: RG006 is back in cell 4; it holds only through `Backbone` (an nn.Module) in cell 2.
    const classifier = notebook.cellAt(4);
    const undo = new vscode.WorkspaceEdit();
    const text = classifier.document.getText();
    undo.replace(
      classifier.document.uri,
      new vscode.Range(classifier.document.positionAt(0), classifier.document.positionAt(text.length)),
      text.replace(', training=self.training', ''),
    );
    assert.ok(await vscode.workspace.applyEdit(undo));
    await waitForDiagnostics(classifier.document.uri, (d) => d.length === 1, 'RG006 back in cell 4', 20_000);
    const backbone = notebook.cellAt(2).document.uri;
    const edit = new vscode.WorkspaceEdit();
    edit.set(notebook.uri, [vscode.NotebookEdit.deleteCells(new vscode.NotebookRange(2, 3))]);
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitForDiagnostics(
      classifier.document.uri,
      (d) => d.length === 0,
      'RG006 gone once Backbone is deleted',
      20_000,
    );
    await waitFor(() => reglensDiagnostics(backbone).length === 0, 'the deleted cell cleared', 20_000);
  });
});
