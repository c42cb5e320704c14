// First suite: the extension activates, its client runs, and the server that answers is this build's.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activated, EXTENSION_ID, extensionPath } from './util';

suite('activation', () => {
  test('Reglens activates and its language server reports this version', async () => {
    const api = await activated();
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    assert.equal(extension.isActive, true);
    const version = JSON.parse(fs.readFileSync(path.join(extensionPath(), 'package.json'), 'utf8')).version;
    assert.match(version, /^\d+\.\d+\.\d+/);
    const serverInfo = api.client.initializeResult?.serverInfo;
    assert.deepEqual(serverInfo, { name: 'reglens', version });
  });

  test('its commands are registered', async () => {
    await activated();
    const commands = await vscode.commands.getCommands(true);
    for (const command of ['reglens.restartServer', 'reglens.showOutput', 'reglens.fixAll']) {
      assert.ok(commands.includes(command), `${command} is not registered`);
    }
  });
});
