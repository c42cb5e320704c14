// `"editor.codeActionsOnSave": { "source.fixAll.reglens": "explicit" }` applies every safe fix when the user saves,
// exactly as `reglens check --fix` does.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { activated, engineFindingsOf, engineFixed, openFresh, originalText, setSetting, waitForDiagnostics } from './util';

suite('fix all on save', () => {
  suiteSetup(async () => {
    await activated();
  });

  teardown(async () => {
    await setSetting('editor', 'codeActionsOnSave', undefined);
    for (const file of ['gpt_mlp.py', 'vit_block.py']) await openFresh(file);
  });

  for (const file of ['gpt_mlp.py', 'vit_block.py']) {
    test(`${file}: saving applies the safe fixes`, async () => {
      const editor = await openFresh(file);
      await setSetting('editor', 'codeActionsOnSave', { 'source.fixAll.reglens': 'explicit' });
      await waitForDiagnostics(editor.document.uri, (d) => d.length > 0, 'diagnostics');
      // A real edit, so that the save is a save of a changed file.
      const edited = `${originalText(file)}# edited in the test\n`;
      await editor.edit((builder) => builder.insert(editor.document.lineAt(editor.document.lineCount - 1).range.end, '# edited in the test\n'));
      assert.equal(editor.document.getText(), edited);
      // An explicit save, as Ctrl+S does (same participants, same reason). Not `workbench.action.files.save`: it saves
      // whatever the workbench's active group shows, which on a loaded machine was not always this editor.
      assert.ok(await editor.document.save(), 'the save went through');
      const expected = engineFixed(file, edited);
      assert.notEqual(expected, edited, 'the engine has safe fixes for this file');
      assert.equal(editor.document.getText(), expected);
      assert.equal(editor.document.isDirty, false);
      assert.equal(fs.readFileSync(editor.document.uri.fsPath, 'utf8'), expected);
      // What remains is what the engine still finds in the fixed text (unsafe fixes and findings without a fix).
      const remaining = engineFindingsOf(file, expected).length;
      await waitForDiagnostics(editor.document.uri, (d) => d.length === remaining, `${remaining} diagnostics after the fixes`);
    });
  }

  test('without the setting, saving leaves the problems alone', async () => {
    const editor = await openFresh('gpt_mlp.py');
    await editor.edit((builder) => builder.insert(editor.document.lineAt(editor.document.lineCount - 1).range.end, '# edited\n'));
    assert.ok(await editor.document.save(), 'the save went through');
    assert.equal(fs.readFileSync(editor.document.uri.fsPath, 'utf8'), `${originalText('gpt_mlp.py')}# edited\n`);
  });
});
