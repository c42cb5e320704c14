// reglens.select / reglens.ignore and pyproject.toml's [tool.reglens] take effect without a reload.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { activated, codeOf, engineFindings, openFresh, setSetting, waitForDiagnostics, workspaceRoot } from './util';

const FILE = 'layerdrop_encoder.py';
const codes = (d: { code?: unknown }[]) => d.map((x) => codeOf(x as never)).sort();

suite('settings and pyproject.toml', () => {
  suiteSetup(async () => {
    await activated();
  });

  teardown(async () => {
    await setSetting('reglens', 'select', undefined);
    await setSetting('reglens', 'ignore', undefined);
    fs.rmSync(path.join(workspaceRoot(), 'pyproject.toml'), { force: true });
  });

  test('reglens.ignore and reglens.select change the diagnostics of an open file', async () => {
    const uri = (await openFresh(FILE)).document.uri;
    const all = engineFindings(FILE)
      .map((f) => f.code)
      .sort();
    assert.deepEqual(all, ['RG006', 'RG008', 'RG008']);
    await waitForDiagnostics(uri, (d) => d.length === all.length, 'all diagnostics');

    await setSetting('reglens', 'ignore', ['RG008']);
    let shown = await waitForDiagnostics(uri, (d) => !d.some((x) => codeOf(x) === 'RG008'), 'RG008 to be ignored');
    assert.deepEqual(codes(shown), ['RG006']);

    await setSetting('reglens', 'ignore', undefined);
    await setSetting('reglens', 'select', ['RG008']);
    shown = await waitForDiagnostics(uri, (d) => d.length === 2 && d.every((x) => codeOf(x) === 'RG008'), 'only RG008');
    assert.deepEqual(
      codes(shown),
      engineFindings(FILE, ['--select', 'RG008'])
        .map((f) => f.code)
        .sort(),
    );

    await setSetting('reglens', 'select', undefined);
    shown = await waitForDiagnostics(uri, (d) => d.length === all.length, 'every rule again');
    assert.deepEqual(codes(shown), all);
  });

  test('creating, editing and deleting pyproject.toml changes the diagnostics', async () => {
    const uri = (await openFresh(FILE)).document.uri;
    await waitForDiagnostics(uri, (d) => d.length === 3, 'all diagnostics');
    const pyproject = path.join(workspaceRoot(), 'pyproject.toml');

    fs.writeFileSync(pyproject, '[tool.reglens]\nignore = ["RG006"]\n');
    let shown = await waitForDiagnostics(uri, (d) => d.length === 2, 'RG006 to be ignored by pyproject.toml');
    assert.deepEqual(codes(shown), ['RG008', 'RG008']);

    fs.writeFileSync(pyproject, '[tool.reglens]\nselect = ["RG006"]\nseverity = { RG006 = "error" }\n');
    shown = await waitForDiagnostics(uri, (d) => d.length === 1 && codeOf(d[0]) === 'RG006', 'only RG006');
    assert.equal(shown[0].severity, 0 /* Error */);

    fs.rmSync(pyproject);
    shown = await waitForDiagnostics(uri, (d) => d.length === 3, 'every rule once pyproject.toml is gone');
    assert.deepEqual(codes(shown), ['RG006', 'RG008', 'RG008']);
  });

  test('editor settings win over pyproject.toml by default (editorFirst)', async () => {
    const uri = (await openFresh(FILE)).document.uri;
    fs.writeFileSync(path.join(workspaceRoot(), 'pyproject.toml'), '[tool.reglens]\nignore = ["RG006"]\n');
    await waitForDiagnostics(uri, (d) => d.length === 2, 'pyproject.toml to apply');
    await setSetting('reglens', 'ignore', ['RG008']);
    const shown = await waitForDiagnostics(uri, (d) => d.length === 1, 'the setting to win');
    assert.deepEqual(codes(shown), ['RG006']);
  });
});
