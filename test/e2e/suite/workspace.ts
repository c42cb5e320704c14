// "Reglens: Check workspace" in VS Code: a package whose block imports its sublayers from other files gets its
// cross-file findings in the Problems panel without any of its files being opened.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  activated,
  codeOf,
  extensionPath,
  reglensDiagnostics,
  waitForDiagnostics,
  workspaceFile,
  workspaceRoot,
} from './util';

/** `# expect: RGxxx` lines of a fixture, as "line:code". */
function expectations(file: string): string[] {
  const out: string[] = [];
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      const m = /# expect: ([A-Z0-9, ]+)/.exec(line);
      if (m) for (const code of m[1].split(',')) out.push(`${i + 1}:${code.trim()}`);
    });
  return out.sort();
}

suite('workspace', () => {
  const fixture = () => path.join(extensionPath(), 'test', 'workspace', 'fixtures', 'project', 'mypkg');
  const copy = () => path.join(workspaceRoot(), 'mypkg');

  suiteSetup(async () => {
    await activated();
    fs.cpSync(fixture(), copy(), { recursive: true });
  });

  suiteTeardown(() => {
    fs.rmSync(copy(), { recursive: true, force: true });
  });

  test('Check workspace shows the cross-file findings of a file that was never opened', async function () {
    // The copied files reach the index through VS Code's file watcher, which a loaded machine delays by many seconds.
    this.timeout(90_000);
    const blocks = workspaceFile('mypkg/blocks.py');
    assert.ok(
      !vscode.workspace.textDocuments.some((d) => d.uri.toString() === blocks.toString()),
      'blocks.py is not open',
    );
    const want = expectations(path.join(fixture(), 'blocks.py'));
    const shown = (d: vscode.Diagnostic[]) => d.map((x) => `${x.range.start.line + 1}:${codeOf(x)}`).sort();
    // The new files reach the index through the file watcher; the command then checks them (run again until they have).
    const deadline = Date.now() + 75_000;
    while (JSON.stringify(shown(reglensDiagnostics(blocks))) !== JSON.stringify(want) && Date.now() < deadline) {
      await vscode.commands.executeCommand('reglens.runWorkspaceCheck');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const diagnostics = await waitForDiagnostics(
      blocks,
      (d) => JSON.stringify(shown(d)) === JSON.stringify(want),
      want.join(', '),
      1000,
    );
    // The double dropout's first dropout is in layers.py: VS Code shows it as related information there.
    const rg010 = diagnostics.find((d) => codeOf(d) === 'RG010')!;
    assert.equal(path.basename(rg010.relatedInformation?.[0]?.location.uri.fsPath ?? ''), 'layers.py');
  });
});
