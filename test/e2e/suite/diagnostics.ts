// Diagnostics for every rule appear in VS Code with the engine's codes, ranges and messages, and link to the docs.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  activated,
  codeOf,
  EXAMPLE_FILES,
  engineFindings,
  extensionPath,
  openFresh,
  reglensDiagnostics,
  sortSummaries,
  summary,
  waitForDiagnostics,
  workspaceFile,
} from './util';

suite('diagnostics', () => {
  suiteSetup(async () => {
    await activated();
  });

  for (const file of EXAMPLE_FILES) {
    test(`${file}: VS Code shows exactly what the engine finds`, async () => {
      const expected = sortSummaries(
        engineFindings(file).map(({ code, line, column, endLine, endColumn, message }) => ({
          code,
          line,
          column,
          endLine,
          endColumn,
          message,
        })),
      );
      const editor = await openFresh(file);
      const uri = editor.document.uri;
      if (expected.length === 0) {
        // A clean file: let a file with findings (analysed after it) prove the server has caught up, then check.
        const witness = workspaceFile('gpt_mlp.py');
        await vscode.workspace.openTextDocument(witness);
        await waitForDiagnostics(witness, (d) => d.length > 0, 'diagnostics of gpt_mlp.py');
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.deepEqual(reglensDiagnostics(uri).map(summary), []);
        return;
      }
      const shown = await waitForDiagnostics(
        uri,
        (d) => d.length === expected.length,
        `${expected.length} diagnostics`,
      );
      assert.deepEqual(sortSummaries(shown.map(summary)), expected);
    });
  }

  test('concrete findings of the examples, with severities and docs links', async () => {
    const expectations: Record<string, [string, number, number, number, number, vscode.DiagnosticSeverity][]> = {
      'gpt_mlp.py': [
        ['RG006', 18, 16, 18, 42, vscode.DiagnosticSeverity.Warning],
        ['RG011', 31, 9, 31, 59, vscode.DiagnosticSeverity.Warning],
      ],
      'vit_block.py': [
        ['RG006', 22, 53, 22, 77, vscode.DiagnosticSeverity.Warning],
        ['RG007', 36, 9, 36, 83, vscode.DiagnosticSeverity.Warning],
        ['RG002', 40, 17, 40, 40, vscode.DiagnosticSeverity.Warning],
      ],
      'layerdrop_encoder.py': [
        ['RG008', 14, 35, 14, 44, vscode.DiagnosticSeverity.Warning],
        ['RG008', 25, 37, 25, 40, vscode.DiagnosticSeverity.Error],
        ['RG006', 30, 16, 30, 48, vscode.DiagnosticSeverity.Warning],
      ],
    };
    for (const [file, expected] of Object.entries(expectations)) {
      const uri = (await openFresh(file)).document.uri;
      const shown = await waitForDiagnostics(
        uri,
        (d) => d.length === expected.length,
        `${expected.length} diagnostics in ${file}`,
      );
      const actual = [...shown]
        .sort((a, b) => a.range.start.line - b.range.start.line)
        .map((d) => [
          codeOf(d),
          d.range.start.line + 1,
          d.range.start.character + 1,
          d.range.end.line + 1,
          d.range.end.character + 1,
          d.severity,
        ]);
      assert.deepEqual(actual, expected, file);
      for (const diagnostic of shown) {
        const code = diagnostic.code as { value: string; target: vscode.Uri };
        assert.equal(typeof code, 'object', 'the code carries a link to its docs');
        assert.match(code.target.toString(), new RegExp(`${code.value}(\\.md)?$`));
      }
    }
  });

  test('the examples cover every rule the extension ships', async () => {
    const documented = fs
      .readdirSync(path.join(extensionPath(), 'docs', 'rules'))
      .filter((f) => /^RG\d+\.md$/.test(f))
      .map((f) => f.slice(0, -3));
    assert.ok(documented.length >= 4, `expected the rule docs in docs/rules, found ${documented.join(', ')}`);
    const seen = new Set<string>();
    for (const file of EXAMPLE_FILES) for (const finding of engineFindings(file)) seen.add(finding.code);
    for (const file of EXAMPLE_FILES) for (const d of reglensDiagnostics(workspaceFile(file))) seen.add(codeOf(d));
    assert.deepEqual([...seen].sort(), documented.sort());
  });
});
