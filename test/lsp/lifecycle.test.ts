import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TestClient } from './client';
import { BLOCK } from './fixtures';

test('initialize declares exactly what the server implements', async () => {
  const client = await TestClient.start();
  try {
    assert.deepEqual(client.initializeResult.capabilities, {
      textDocumentSync: { openClose: true, change: 2 /* Incremental */ },
      notebookDocumentSync: {
        notebookSelector: [
          { notebook: { notebookType: 'jupyter-notebook' }, cells: [{ language: 'python' }] },
          { notebook: { notebookType: 'interactive' }, cells: [{ language: 'python' }] },
        ],
      },
      codeActionProvider: { codeActionKinds: ['quickfix', 'source.fixAll.reglens'], resolveProvider: true },
      hoverProvider: true,
      codeLensProvider: { resolveProvider: false },
      executeCommandProvider: {
        commands: ['reglens.profileSite', 'reglens.profileFile', 'reglens.profilerBackends', 'reglens.checkWorkspace'],
      },
      workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
    });
    assert.equal(client.initializeResult.serverInfo?.name, 'reglens');
    assert.match(client.initializeResult.serverInfo?.version ?? '', /^\d+\.\d+\.\d+/);
  } finally {
    client.dispose();
  }
});

test(
  'the server asks to be told about configuration files and Python file changes when the client can register ' +
    'dynamically',
  async () => {
    const client = await TestClient.start();
    try {
      await client.sync();
      const watch = client.registrations.find((r) => r.method === 'workspace/didChangeWatchedFiles');
      assert.ok(watch, `registrations: ${JSON.stringify(client.registrations)}`);
      // Python files keep the workspace index current; deletions of anything catch deleted folders.
      assert.deepEqual(watch.registerOptions, {
        watchers: [
          { globPattern: '**/*.toml' },
          { globPattern: '**/*.py' },
          { globPattern: '**/*', kind: 5 /* Create | Delete: a folder copied in or deleted */ },
        ],
      });
    } finally {
      client.dispose();
    }
  },
);

test('shutdown then exit ends the server with exit code 0', async () => {
  const client = await TestClient.start();
  client.open('untitled:Untitled-1', BLOCK);
  await client.diagnostics('untitled:Untitled-1', 1);
  assert.equal(await client.shutdown(), 0);
});

test('exit without shutdown ends the server with exit code 1', async () => {
  const client = await TestClient.start();
  await client.connection.sendNotification('exit');
  assert.equal(await client.exit, 1);
  client.dispose();
});
