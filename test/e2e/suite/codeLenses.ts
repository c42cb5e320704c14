// Code lenses in VS Code: a "Profile train/eval" lens at every regularizer site the engine finds (compared with
// `reglens profile --format json` of the extension's own CLI), and a lens command that runs the profiler and
// answers its measurements, which then show in the lens and in the RG001 message; a hand-written regularizer's
// "Profile this implementation (train/eval)" lens runs its own code. The wasm backend keeps it quick and the same on
// every machine (the plain-JavaScript cpu backend took over 30 s for the fusion site on a loaded machine).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activated, cli, codeOf, openFresh, setSetting, waitForDiagnostics, workspaceFile } from './util';

interface ProfiledSite {
  line: number;
  column: number;
  kind?: string;
}

/** The sites of a workspace file as the CLI lists them (a tiny shape: only the positions matter here). */
function engineSites(relative: string): ProfiledSite[] {
  const { stdout } = cli([
    'profile',
    '--format',
    'json',
    '--backend',
    'cpu',
    '--shape',
    '2,8,16',
    workspaceFile(relative).fsPath,
  ]);
  return (JSON.parse(stdout) as { sites: ProfiledSite[] }).sites;
}

async function profileLenses(uri: vscode.Uri): Promise<vscode.CodeLens[]> {
  const all = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? [];
  return all
    .filter((l) => l.command?.command === 'reglens.profileSite')
    .sort((a, b) => a.range.start.line - b.range.start.line);
}

suite('code lenses and profiling', () => {
  suiteSetup(async () => {
    await activated();
    await setSetting('reglens.profiler', 'backend', 'wasm');
  });

  suiteTeardown(async () => {
    await setSetting('reglens.profiler', 'backend', undefined);
    await setSetting('reglens.profiler', 'shape', undefined);
  });

  for (const file of ['vision_language.py', 'handwritten_regularizers.py', 'gpt_attention.py']) {
    test(`${file}: a profile lens at every regularizer site the engine finds`, async () => {
      const uri = (await openFresh(file)).document.uri;
      const expected = engineSites(file).map((s) => [s.line - 1, s.column - 1]);
      assert.ok(expected.length > 0, 'the example has sites');
      let lenses: vscode.CodeLens[] = [];
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && (lenses = await profileLenses(uri)).length !== expected.length)
        await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(
        lenses.map((l) => [l.range.start.line, l.range.start.character]),
        expected,
      );
      for (const lens of lenses)
        assert.match(
          lens.command!.title,
          /^(Profile train\/eval|Profile this implementation|[Nn]ot profiled: |(its code: |as read: )?train: )/,
        );
    });
  }

  test('the fusion lens returns its measurements, updates itself and adds the coverage to RG001', async () => {
    const uri = (await openFresh('vision_language.py')).document.uri;
    await waitForDiagnostics(uri, (d) => d.some((x) => codeOf(x) === 'RG001'), 'RG001');
    const lens = (await profileLenses(uri)).find((l) => l.range.start.line === 16);
    assert.ok(lens, 'a lens on the text dropout (line 17)');
    const result = (await vscode.commands.executeCommand(lens.command!.command, ...lens.command!.arguments!)) as {
      backend: string;
      fusion: {
        text: { tokens: number; droppedFraction: number };
        image: { tokens: number; droppedFraction: number };
      };
    };
    assert.equal(result.backend, 'wasm');
    assert.deepEqual([result.fusion.text.tokens, result.fusion.image.tokens], [60, 196]);
    assert.ok(
      result.fusion.text.droppedFraction > 0.08 && result.fusion.text.droppedFraction < 0.12,
      `text tokens dropped ${result.fusion.text.droppedFraction}`,
    );
    assert.equal(result.fusion.image.droppedFraction, 0, 'image tokens skip the dropout');
    let title = '';
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !/^train: text/.test(title)) {
      title = (await profileLenses(uri)).find((l) => l.range.start.line === 16)?.command?.title ?? '';
      await new Promise((r) => setTimeout(r, 200));
    }
    // What it measured, then the time: the backend (wasm, `result.backend` above) is the status bar's, not the lens's.
    assert.match(title, /^train: text \d+\.\d% · image 0\.0% dropped \| eval: identity \| [\d.]+ ms$/);
    const shown = await waitForDiagnostics(
      uri,
      (d) => d.some((x) => codeOf(x) === 'RG001' && /Measured in training/.test(x.message)),
      'the measured coverage in RG001',
    );
    const rg001 = shown.find((x) => codeOf(x) === 'RG001')!;
    assert.match(rg001.message, /of the 196 image tokens' values dropped/);
  });

  test(
    "running a hand-written regularizer's implementation lens interprets its code and adds the evidence to " + 'RG003',
    async () => {
      // A small shape: a batch-wide mask draws until it has 64 decisions, which at [8, 256, 768] is
      // longer than a test should wait.
      await setSetting('reglens.profiler', 'shape', '8, 16, 32');
      const uri = (await openFresh('handwritten_regularizers.py')).document.uri;
      await waitForDiagnostics(uri, (d) => d.some((x) => codeOf(x) === 'RG003'), 'RG003');
      const lens = (await profileLenses(uri)).find(
        (l) => l.range.start.line === 6 && l.command!.title === 'Profile this implementation (train/eval)',
      );
      assert.ok(lens, 'an implementation lens on drop_path (line 7)');
      const result = (await vscode.commands.executeCommand(lens.command!.command, ...lens.command!.arguments!)) as {
        backend: string;
        implementation: { granularity: { train: string; eval: string } };
      };
      assert.equal(result.backend, 'wasm');
      assert.deepEqual(result.implementation.granularity, { train: 'batch', eval: 'none' });
      const shown = await waitForDiagnostics(
        uri,
        (d) => d.some((x) => codeOf(x) === 'RG003' && /Measured by running its code/.test(x.message)),
        'the measured granularity in RG003',
      );
      assert.match(
        shown.find((x) => codeOf(x) === 'RG003')!.message,
        /its name promises one decision per sample, but the code makes one decision for the whole batch/,
      );
      await setSetting('reglens.profiler', 'shape', undefined);
    },
  );
});
