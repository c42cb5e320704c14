import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { FileChangeType } from 'vscode-languageserver-protocol';
import type { CodeAction } from 'vscode-languageserver-protocol';
import { applyWorkspaceEdit, codes, TestClient, tempProject, VSCODE_CAPABILITIES } from './client';
import { BLOCK } from './fixtures';

const ALL = ['RG007@7', 'RG006@10'];

test('pyproject.toml [tool.reglens] applies to the files below it', async () => {
  const project = tempProject({
    'pyproject.toml':
      '[project]\nname = "demo"\n\n[tool.reglens]\nselect = ["RG007"]\n\n[tool.reglens.severity]\nRG007 = "error"\n',
    'pkg/sub/model.py': BLOCK,
  });
  const client = await TestClient.start();
  try {
    client.open(project.uri('pkg/sub/model.py'), BLOCK);
    const diagnostics = await client.diagnostics(project.uri('pkg/sub/model.py'), 1);
    assert.deepEqual(codes(diagnostics), ['RG007@7']);
    assert.equal(diagnostics[0].severity, 1 /* Error */);
  } finally {
    client.dispose();
    project.cleanup();
  }
});

test('reglens.configuration names the file every document reads, instead of the nearest one', async () => {
  // The repository's pyproject.toml ignores RG007; the shared file the setting names ignores RG006.
  const project = tempProject({
    'pyproject.toml': '[tool.reglens]\nignore = ["RG007"]\n',
    'config/reglens.toml': 'ignore = ["RG006"]\n',
    'pkg/a.py': BLOCK,
  });
  // biome-ignore lint/suspicious/noTemplateCurlyInString: VS Code's variable, as a user writes it in the setting
  let configuration: unknown = '${workspaceFolder}/config/reglens.toml';
  const client = await TestClient.start({
    workspaceFolders: [project.dir],
    settings: () => ({ configuration }),
    env: { HOME: project.path('config') },
  });
  try {
    const uri = project.uri('pkg/a.py');
    client.open(uri, BLOCK);
    assert.deepEqual(codes(await client.diagnostics(uri, 1)), ['RG007@7']);
    // Each change flips what applies: the named file (RG006 ignored) or, for a file that is not there, the nearest
    // one (RG007 ignored). The index is rebuilt too, which publishes again: wait for the publish that flips.
    const steps: [unknown, string[]][] = [
      ['config/missing.toml', ['RG006@10']],
      ['config/reglens.toml', ['RG007@7']],
      ['$HOME/nowhere.toml', ['RG006@10']],
      ['~/reglens.toml', ['RG007@7']],
    ];
    for (const [given, expected] of steps) {
      configuration = given;
      client.configurationChanged(null);
      const found = await client.diagnosticsWhere(uri, (d) => JSON.stringify(codes(d)) === JSON.stringify(expected));
      assert.deepEqual(codes(found), expected, String(given));
    }
    const said = client.messages.map((m) => m.message).filter((m) => m.includes('reglens.configuration'));
    assert.deepEqual(
      said.map((m) => m.replace(project.dir, '<project>')),
      ['<project>/config/missing.toml', '<project>/config/nowhere.toml'].map(
        (f) =>
          `Reglens: reglens.configuration names ${f}, which does not exist; ` +
          'the configuration files are looked for as usual.',
      ),
    );
  } finally {
    client.dispose();
    project.cleanup();
  }
});

test('a changed pyproject.toml is re-read when the client reports it, and every open file is re-analysed', async () => {
  const project = tempProject({ 'a.py': BLOCK, 'nested/b.py': BLOCK });
  const client = await TestClient.start();
  try {
    const a = project.uri('a.py');
    const b = project.uri('nested/b.py');
    client.open(a, BLOCK);
    client.open(b, BLOCK);
    assert.deepEqual(codes(await client.diagnostics(a, 1)), ALL);
    assert.deepEqual(codes(await client.diagnostics(b, 1)), ALL);

    project.write('pyproject.toml', '[tool.reglens]\nignore = ["RG006"]\n');
    let nextA = client.nextDiagnostics(a);
    let nextB = client.nextDiagnostics(b);
    client.configFileChanged(project.uri('pyproject.toml'), FileChangeType.Created);
    assert.deepEqual(codes(await nextA), ['RG007@7']);
    assert.deepEqual(codes(await nextB), ['RG007@7']);

    // Edits keep using the new configuration (it is cached, not re-read per keystroke).
    client.change(a, 2, [
      { range: { start: { line: 11, character: 0 }, end: { line: 11, character: 0 } }, text: '        # comment\n' },
    ]);
    assert.deepEqual(codes(await client.diagnostics(a, 2)), ['RG007@7']);

    project.write('pyproject.toml', '[tool.reglens]\nignore = ["RG007"]\n');
    nextA = client.nextDiagnostics(a);
    nextB = client.nextDiagnostics(b);
    client.configFileChanged(project.uri('pyproject.toml'));
    assert.deepEqual(codes(await nextA), ['RG006@10']);
    assert.deepEqual(codes(await nextB), ['RG006@10']);

    fs.rmSync(project.path('pyproject.toml'));
    nextA = client.nextDiagnostics(a);
    nextB = client.nextDiagnostics(b);
    client.configFileChanged(project.uri('pyproject.toml'), FileChangeType.Deleted);
    assert.deepEqual(codes(await nextA), ALL);
    assert.deepEqual(codes(await nextB), ALL);
  } finally {
    client.dispose();
    project.cleanup();
  }
});

test('a reglens.toml configures the files below it, and is re-read when it changes', async () => {
  const project = tempProject({ 'reglens.toml': 'ignore = ["RG006"]\n', 'src/model.py': BLOCK });
  const client = await TestClient.start();
  try {
    const uri = project.uri('src/model.py');
    client.open(uri, BLOCK);
    assert.deepEqual(codes(await client.diagnostics(uri, 1)), ['RG007@7']);
    project.write('reglens.toml', 'ignore = ["RG007"]\n');
    const next = client.nextDiagnostics(uri);
    client.configFileChanged(project.uri('reglens.toml'));
    assert.deepEqual(codes(await next), ['RG006@10']);
    // A .reglens.toml beside it comes first.
    project.write('.reglens.toml', 'select = ["RG0"]\n');
    const after = client.nextDiagnostics(uri);
    client.configFileChanged(project.uri('.reglens.toml'), FileChangeType.Created);
    assert.deepEqual(codes(await after), ALL);
  } finally {
    client.dispose();
    project.cleanup();
  }
});

test('a change to a file a configuration extends re-analyses the files it governs', async () => {
  const project = tempProject({
    'shared/base.toml': 'ignore = ["RG006"]\n',
    'pkg/reglens.toml': 'extend = "../shared/base.toml"\n',
    'pkg/model.py': BLOCK,
  });
  const client = await TestClient.start();
  try {
    const uri = project.uri('pkg/model.py');
    client.open(uri, BLOCK);
    assert.deepEqual(codes(await client.diagnostics(uri, 1)), ['RG007@7']);
    project.write('shared/base.toml', 'ignore = ["RG007"]\n');
    const next = client.nextDiagnostics(uri);
    client.configFileChanged(project.uri('shared/base.toml'));
    assert.deepEqual(codes(await next), ['RG006@10']);
  } finally {
    client.dispose();
    project.cleanup();
  }
});

test('unfixable and extend-safe-fixes in pyproject.toml decide the quick fixes and what fix-all applies', async () => {
  const project = tempProject({
    'pyproject.toml': '[tool.reglens]\nunfixable = ["RG006"]\nextend-safe-fixes = ["RG007"]\n',
    'model.py': BLOCK,
  });
  const client = await TestClient.start();
  try {
    const uri = project.uri('model.py');
    client.open(uri, BLOCK);
    const diagnostics = await client.diagnostics(uri, 1);
    assert.deepEqual(codes(diagnostics), ALL);
    const titles = async (code: string) => {
      const d = diagnostics.find((x) => x.code === code)!;
      return ((await client.codeActions(uri, d.range, [d], ['quickfix'])) ?? []).map((a) => a.title);
    };
    assert.deepEqual(await titles('RG006'), ['Disable RG006 for this line', 'Show documentation for RG006']);
    const rg007 = await titles('RG007');
    assert.ok(rg007[0].startsWith('Reglens (RG007): ') && !rg007[0].endsWith('(unsafe)'), rg007.join(' | '));

    // Fix-all (what "source.fixAll.reglens" on save runs) removes the unused dropout, now a safe fix, and leaves the
    // unfixable F.dropout call as it is.
    const [fixAll] = ((await client.codeActions(uri, diagnostics[0].range, [], ['source.fixAll'])) ??
      []) as CodeAction[];
    assert.ok(fixAll, 'a fix-all is offered');
    const fixed = applyWorkspaceEdit(BLOCK, uri, fixAll.edit);
    assert.equal(fixed, BLOCK.replace('        self.drop = nn.Dropout(0.1)\n', ''));
  } finally {
    client.dispose();
    project.cleanup();
  }
});

test('settings are pulled per document, and re-pulled on didChangeConfiguration', async () => {
  const project = tempProject({ 'a.py': BLOCK });
  let settings: Record<string, unknown> = {
    enable: true,
    select: [],
    ignore: ['RG007'],
    severity: {},
    configurationPreference: 'editorFirst',
  };
  const client = await TestClient.start({ settings: () => settings });
  try {
    const uri = project.uri('a.py');
    client.open(uri, BLOCK);
    assert.deepEqual(codes(await client.diagnostics(uri, 1)), ['RG006@10']);
    assert.ok(
      client.configurationRequests.some((item) => item.section === 'reglens' && item.scopeUri === uri),
      JSON.stringify(client.configurationRequests),
    );

    settings = { ...settings, ignore: [], severity: { RG006: 'error' } };
    const next = client.nextDiagnostics(uri);
    client.configurationChanged({ reglens: settings });
    const diagnostics = await next;
    assert.deepEqual(codes(diagnostics), ALL);
    assert.equal(diagnostics.find((d) => d.code === 'RG006')!.severity, 1 /* Error */);
  } finally {
    client.dispose();
    project.cleanup();
  }
});

test('reglens.enable=false publishes no problems until it is turned back on', async () => {
  const project = tempProject({ 'a.py': BLOCK });
  let settings: Record<string, unknown> = { enable: false };
  const client = await TestClient.start({ settings: () => settings });
  try {
    const uri = project.uri('a.py');
    client.open(uri, BLOCK);
    assert.deepEqual(await client.diagnostics(uri, 1), []);
    client.change(uri, 2, [
      { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# edited\n' },
    ]);
    assert.deepEqual(await client.diagnostics(uri, 2), []);
    const actions = await client.codeActions(
      uri,
      { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      [],
      ['source.fixAll'],
    );
    assert.deepEqual(actions, [], 'no fix-all while disabled');

    settings = { enable: true };
    const next = client.nextDiagnostics(uri);
    client.configurationChanged(null);
    assert.deepEqual(codes(await next), ['RG007@8', 'RG006@11']);
  } finally {
    client.dispose();
    project.cleanup();
  }
});

test('reglens.configurationPreference decides between editor settings and pyproject.toml', async () => {
  const project = tempProject({ 'pyproject.toml': '[tool.reglens]\nignore = ["RG006"]\n', 'a.py': BLOCK });
  let settings: Record<string, unknown> = { ignore: ['RG007'], configurationPreference: 'editorFirst' };
  const client = await TestClient.start({ settings: () => settings });
  const uri = project.uri('a.py');
  const reconfigure = async (next: Record<string, unknown>) => {
    settings = next;
    const published = client.nextDiagnostics(uri);
    client.configurationChanged(null);
    return codes(await published);
  };
  try {
    client.open(uri, BLOCK);
    // editorFirst: `ignore` is set in both; the editor's wins.
    assert.deepEqual(codes(await client.diagnostics(uri, 1)), ['RG006@10']);
    assert.deepEqual(await reconfigure({ ignore: ['RG007'], configurationPreference: 'filesystemFirst' }), ['RG007@7']);
    // editorOnly: pyproject.toml is not consulted at all.
    assert.deepEqual(await reconfigure({ configurationPreference: 'editorOnly' }), ALL);
    // A key set only in pyproject.toml applies under editorFirst.
    assert.deepEqual(await reconfigure({ configurationPreference: 'editorFirst' }), ['RG007@7']);
  } finally {
    client.dispose();
    project.cleanup();
  }
});

test('an invalid pyproject.toml gives exactly one warning and the default rules', async () => {
  const project = tempProject({
    'pyproject.toml': '[tool.reglens]\nselect = "RG006"\n',
    'a.py': BLOCK,
    'pkg/b.py': BLOCK,
  });
  const client = await TestClient.start();
  try {
    const a = project.uri('a.py');
    const b = project.uri('pkg/b.py');
    client.open(a, BLOCK);
    client.open(b, BLOCK);
    assert.deepEqual(codes(await client.diagnostics(a, 1)), ALL);
    assert.deepEqual(codes(await client.diagnostics(b, 1)), ALL);
    for (let version = 2; version <= 6; version++) {
      client.change(a, version, [
        { range: { start: { line: 2, character: 0 }, end: { line: 2, character: 0 } }, text: ' ' },
      ]);
      await client.diagnostics(a, version);
    }
    // The same (still broken) file reported again by the client is not a new problem.
    let next = [client.nextDiagnostics(a), client.nextDiagnostics(b)];
    client.configFileChanged(project.uri('pyproject.toml'));
    for (const diagnostics of await Promise.all(next)) assert.deepEqual(codes(diagnostics), ALL);
    await client.sync();
    assert.equal(client.messages.length, 1, JSON.stringify(client.messages));
    assert.equal(client.messages[0].type, 2 /* Warning */);
    assert.ok(client.messages[0].message.includes(project.path('pyproject.toml')), client.messages[0].message);
    assert.match(client.messages[0].message, /select/);

    // Broken TOML is another problem, reported once more; the server keeps working with the defaults.
    project.write('pyproject.toml', '[tool.reglens\nselect = [\n');
    next = [client.nextDiagnostics(a), client.nextDiagnostics(b)];
    client.configFileChanged(project.uri('pyproject.toml'));
    for (const diagnostics of await Promise.all(next)) assert.deepEqual(codes(diagnostics), ALL);
    await client.sync();
    assert.equal(client.messages.length, 2, JSON.stringify(client.messages));
    assert.match(client.messages[1].message, /invalid TOML/);
  } finally {
    client.dispose();
    project.cleanup();
  }
});

test('invalid editor settings give one warning and the defaults', async () => {
  const project = tempProject({ 'a.py': BLOCK, 'b.py': BLOCK });
  const client = await TestClient.start({
    settings: () => ({ enable: true, select: ['dropout'], severity: { RG006: 'loud' } }),
  });
  try {
    client.open(project.uri('a.py'), BLOCK);
    client.open(project.uri('b.py'), BLOCK);
    assert.deepEqual(codes(await client.diagnostics(project.uri('a.py'), 1)), ALL);
    assert.deepEqual(codes(await client.diagnostics(project.uri('b.py'), 1)), ALL);
    await client.sync();
    assert.equal(client.messages.length, 1, JSON.stringify(client.messages));
    assert.equal(client.messages[0].type, 2 /* Warning */);
    assert.match(client.messages[0].message, /reglens\.select/);
  } finally {
    client.dispose();
    project.cleanup();
  }
});

test('configuration files outside the workspace folder are watched: the one above, the one it extends', async () => {
  // A subfolder opened on its own, under the repository's pyproject.toml; that file later extends a shared one.
  const project = tempProject({
    'pyproject.toml': '[tool.reglens]\nignore = ["RG006"]\n',
    'shared/base.toml': 'ignore = ["RG007"]\n',
    'pkg/a.py': BLOCK,
  });
  const capabilities = {
    ...VSCODE_CAPABILITIES,
    workspace: {
      ...VSCODE_CAPABILITIES.workspace,
      didChangeWatchedFiles: { dynamicRegistration: true, relativePatternSupport: true },
    },
  };
  const client = await TestClient.start({ capabilities, workspaceFolders: [project.path('pkg')] });
  const watchedOutside = () =>
    client.registrations
      .filter((r) => r.method === 'workspace/didChangeWatchedFiles' && !client.unregistrations.includes(r.id))
      .flatMap((r) => (r.registerOptions as { watchers: { globPattern: unknown }[] }).watchers)
      .map((w) => w.globPattern)
      .filter((g): g is { baseUri: string; pattern: string } => typeof g === 'object');
  try {
    const uri = project.uri('pkg/a.py');
    client.open(uri, BLOCK);
    assert.deepEqual(codes(await client.diagnostics(uri, 1)), ['RG007@7']);
    await client.sync();
    assert.deepEqual(watchedOutside(), [{ baseUri: project.uri(''), pattern: 'pyproject.toml' }]);
    // The editor's watcher reports the edit; the shared file it now extends is watched too, by a new registration.
    project.write('pyproject.toml', '[tool.reglens]\nextend = "shared/base.toml"\n');
    const next = client.nextDiagnostics(uri);
    client.configFileChanged(project.uri('pyproject.toml'));
    assert.deepEqual(codes(await next), ['RG006@10']);
    await client.sync();
    assert.deepEqual(
      watchedOutside().sort((a, b) => a.pattern.localeCompare(b.pattern)),
      [
        { baseUri: project.uri('shared'), pattern: 'base.toml' },
        { baseUri: project.uri(''), pattern: 'pyproject.toml' },
      ],
    );
  } finally {
    client.dispose();
    project.cleanup();
  }
});

test('in an untrusted workspace pyproject.toml is never read', async () => {
  const project = tempProject({ 'pyproject.toml': '[tool.reglens]\nignore = ["RG006"]\n', 'a.py': BLOCK });
  const client = await TestClient.start({ initializationOptions: { workspaceTrusted: false } });
  try {
    const uri = project.uri('a.py');
    client.open(uri, BLOCK);
    assert.deepEqual(codes(await client.diagnostics(uri, 1)), ALL);
    const next = client.nextDiagnostics(uri);
    client.configFileChanged(project.uri('pyproject.toml'));
    client.configurationChanged(null);
    assert.deepEqual(codes(await next), ALL);
    await client.sync();
    assert.ok(
      !client.registrations.some(
        (r) =>
          r.method === 'workspace/didChangeWatchedFiles' &&
          JSON.stringify(r.registerOptions).includes('pyproject.toml'),
      ),
    );
  } finally {
    client.dispose();
    project.cleanup();
  }
});

test('without workspace/configuration the client pushes settings (initializationOptions, a change)', async () => {
  const project = tempProject({ 'a.py': BLOCK });
  const capabilities = {
    ...VSCODE_CAPABILITIES,
    workspace: { ...VSCODE_CAPABILITIES.workspace, configuration: false },
  };
  const client = await TestClient.start({
    capabilities,
    initializationOptions: { settings: { reglens: { ignore: ['RG006'] } } },
  });
  try {
    const uri = project.uri('a.py');
    client.open(uri, BLOCK);
    assert.deepEqual(codes(await client.diagnostics(uri, 1)), ['RG007@7']);
    const next = client.nextDiagnostics(uri);
    client.configurationChanged({ reglens: { ignore: ['RG007'] } });
    assert.deepEqual(codes(await next), ['RG006@10']);
    assert.deepEqual(client.configurationRequests, [], 'the server must not pull from a client that cannot answer');
  } finally {
    client.dispose();
    project.cleanup();
  }
});
