// "Disable RGxxx for this line" adds a `# noqa: RGxxx` comment and silences exactly that finding.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activated, codeOf, openFresh, quickFixesAt, waitForDiagnostics } from './util';

suite('noqa', () => {
  suiteSetup(async () => {
    await activated();
  });

  teardown(async () => {
    await openFresh('vit_block.py');
  });

  test('the noqa action silences RG007 on its line only', async () => {
    const editor = await openFresh('vit_block.py');
    const uri = editor.document.uri;
    const shown = await waitForDiagnostics(uri, (d) => d.length === 3, 'RG006, RG007 and RG002');
    const rg007 = shown.find((d) => codeOf(d) === 'RG007')!;
    const actions = await quickFixesAt(uri, rg007.range);
    const noqa = actions.find((a) => a.title === 'Disable RG007 for this line');
    assert.ok(noqa?.edit, `offered: ${actions.map((a) => a.title).join(' | ')}`);
    assert.ok(await vscode.workspace.applyEdit(noqa.edit));
    assert.equal(
      editor.document.lineAt(35).text,
      '        self.drop_path = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()  # noqa: RG007',
    );
    const after = await waitForDiagnostics(uri, (d) => d.length === 2, 'RG007 to go away');
    assert.deepEqual(after.map(codeOf).sort(), ['RG002', 'RG006']);
    assert.equal(after.find((d) => codeOf(d) === 'RG006')!.range.start.line, 21, 'RG006 keeps its place');
  });

  test('a second code joins the existing noqa comment', async () => {
    const editor = await openFresh('vit_block.py');
    const uri = editor.document.uri;
    await editor.edit((b) => b.insert(editor.document.lineAt(21).range.end, '  # noqa: RG008'));
    const shown = await waitForDiagnostics(
      uri,
      (d) => d.some((x) => codeOf(x) === 'RG006' && x.range.start.line === 21),
      'RG006',
    );
    const rg006 = shown.find((d) => codeOf(d) === 'RG006')!;
    const noqa = (await quickFixesAt(uri, rg006.range)).find((a) => a.title === 'Disable RG006 for this line');
    assert.ok(noqa?.edit);
    assert.ok(await vscode.workspace.applyEdit(noqa.edit));
    assert.match(editor.document.lineAt(21).text, /# noqa: RG008, RG006$/);
    await waitForDiagnostics(uri, (d) => !d.some((x) => codeOf(x) === 'RG006'), 'RG006 to go away');
  });
});
