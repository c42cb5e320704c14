// Every quick fix the engine offers applies through vscode.executeCodeActionProvider + workspace.applyEdit and
// produces exactly the engine's fix; the diagnostic then goes away.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import {
  activated,
  applyCliEdits,
  codeOf,
  engineFindings,
  openFresh,
  originalText,
  quickFixesAt,
  waitForDiagnostics,
} from './util';

/** The examples with fixes: RG006 (safe), RG011 (safe), RG007 and RG008 (unsafe). */
const FIXABLE_FILES = ['gpt_mlp.py', 'layerdrop_encoder.py', 'vit_block.py'];

suite('quick fixes', () => {
  suiteSetup(async () => {
    await activated();
  });

  for (const file of FIXABLE_FILES) {
    test(`${file}: every fix applies and matches the engine`, async () => {
      const findings = engineFindings(file).filter((f) => f.fix);
      assert.ok(findings.length > 0, `the engine offers fixes in ${file}`);
      for (const finding of findings) {
        const editor = await openFresh(file);
        const uri = editor.document.uri;
        const all = await waitForDiagnostics(uri, (d) => d.length === engineFindings(file).length, 'all diagnostics');
        const target = all.find(
          (d) =>
            codeOf(d) === finding.code &&
            d.range.start.line === finding.line - 1 &&
            d.range.start.character === finding.column - 1,
        );
        assert.ok(target, `VS Code shows ${finding.code} at ${finding.line}:${finding.column}`);
        // No other extension provides Python code actions here: every action is Reglens's. (Actions returned by
        // executeCodeActionProvider do not carry their diagnostics, so they are told apart by title.)
        const actions = await quickFixesAt(uri, target.range);
        const titles = actions.map((a) => a.title);
        assert.ok(
          titles.includes(`Disable ${finding.code} for this line`),
          `noqa action for ${finding.code}; offered: ${titles.join(' | ')}`,
        );
        assert.ok(
          titles.includes(`Show documentation for ${finding.code}`),
          `documentation action for ${finding.code}; offered: ${titles.join(' | ')}`,
        );
        // The fix is named with its rule; the menu's fix-all and documentation entries are the rule's, not a fix.
        // The engine's fix comes first; alternatives (RG007: remove instead of apply) follow it.
        const fixes = actions.filter((a) => a.title.startsWith(`Reglens (${finding.code}): `));
        assert.ok(
          fixes.length >= 1,
          `a quick fix for ${finding.code} at ${finding.line}:${finding.column}; offered: ${titles.join(' | ')}`,
        );
        const [fix] = fixes;
        const safe = finding.fix!.applicability === 'safe';
        assert.equal(fix.kind?.value, vscode.CodeActionKind.QuickFix.value);
        assert.equal(Boolean(fix.isPreferred), safe, 'safe fixes are preferred, unsafe ones are not');
        assert.equal(fix.title.endsWith('(unsafe)'), !safe);
        assert.ok(fix.edit, 'the action carries its edit');
        assert.ok(await vscode.workspace.applyEdit(fix.edit), 'VS Code applied the edit');
        assert.equal(editor.document.getText(), applyCliEdits(originalText(file), finding.fix!.edits));
        await waitForDiagnostics(
          uri,
          (d) => !d.some((x) => codeOf(x) === finding.code && x.range.start.line === finding.line - 1),
          `${finding.code} on line ${finding.line} to go away`,
        );
      }
      await openFresh(file);
    });
  }

  test('a fix is not offered twice: after applying, the spot has no fix left', async () => {
    const editor = await openFresh('gpt_mlp.py');
    const uri = editor.document.uri;
    const [first] = await waitForDiagnostics(uri, (d) => d.some((x) => codeOf(x) === 'RG006'), 'RG006');
    const fix = (await quickFixesAt(uri, first.range)).find((a) => a.isPreferred);
    assert.ok(fix?.edit);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.match(editor.document.lineAt(17).text, /F\.dropout\(x, self\.dropout, training=self\.training\)/);
    await waitForDiagnostics(uri, (d) => !d.some((x) => codeOf(x) === 'RG006'), 'RG006 to go away');
    const again = await quickFixesAt(uri, editor.document.lineAt(17).range);
    assert.deepEqual(
      again.map((a) => a.title),
      [],
    );
    await openFresh('gpt_mlp.py');
  });
});
