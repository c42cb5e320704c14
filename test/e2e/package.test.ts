// The packaged artifact: `npm run package` builds reglens.vsix, code-server installs it into a fresh extensions
// folder (no development path anywhere), and a user opening the examples sees Reglens's problems — which needs the
// language server bundle and both tree-sitter wasm files from inside the package.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  codeServerCli,
  e2eSkipReason,
  launchBrowser,
  prepareWorkspace,
  root,
  screenshot,
  startCodeServer,
  workbenchUrl,
} from './harness';
import { openInEditor, problemRows } from './workbench';

const skip = e2eSkipReason();
const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

/** Top-level entries not copied for packaging: build outputs, test output, caches and dot folders (node_modules is linked). */
const copied = (name: string) =>
  name === '' || name === '.vscodeignore' || !(name.startsWith('.') || ['node_modules', 'dist', 'test-results', 'reglens.vsix'].includes(name));

/**
 * Runs `npm run package` on a copy of the repository, so that its production build does not replace dist/ under
 * the other tests running at the same time, and returns the .vsix.
 */
function packageCopy(scratch: string): string {
  const copy = path.join(scratch, 'repo');
  fs.cpSync(root, copy, { recursive: true, filter: (source) => copied(path.relative(root, source).split(path.sep)[0]) });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  execFileSync('npm', ['run', 'package'], { cwd: copy, stdio: 'pipe', env: { ...process.env, NODE_OPTIONS: '' } });
  return path.join(copy, 'reglens.vsix');
}

test('the .vsix from npm run package installs into code-server and shows diagnostics', { skip, timeout: 180_000 }, async () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-e2e-vsix-'));
  const vsix = packageCopy(scratch);
  assert.ok(fs.statSync(vsix).size > 100_000, 'the package holds the bundles and the wasm files');

  const extensionsDir = path.join(scratch, 'extensions');
  await codeServerCli(['--install-extension', vsix], extensionsDir, scratch);
  const listed = await codeServerCli(['--list-extensions', '--show-versions'], extensionsDir, scratch);
  assert.match(listed, new RegExp(`^reglens\\.reglens@${version.replace(/\./g, '\\.')}$`, 'm'));
  const installed = fs.readdirSync(extensionsDir).find((name) => name.startsWith('reglens.reglens-'));
  assert.ok(installed, `installed into ${extensionsDir}`);
  const files = fs.readdirSync(path.join(extensionsDir, installed, 'dist')).sort();
  for (const needed of ['client.js', 'server.js', 'tree-sitter-python.wasm', 'tree-sitter.wasm']) {
    assert.ok(files.includes(needed), `the package has dist/${needed} (it has ${files.join(', ')})`);
  }

  const server = await startCodeServer({ scratch });
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  try {
    const workspace = prepareWorkspace(scratch);
    await page.goto(workbenchUrl(server, workspace)); // no extensionDevelopmentPath: only the installed package
    await page.locator('.monaco-workbench').waitFor({ timeout: 30_000 });
    await openInEditor(page, 'vit_block.py');
    const rows = await problemRows(page, 3);
    assert.deepEqual(rows.map((r) => [r.code, r.source, r.position]), [
      ['RG006', 'reglens', '[Ln 22, Col 53]'],
      ['RG007', 'reglens', '[Ln 36, Col 9]'],
      ['RG002', 'reglens', '[Ln 40, Col 17]'],
    ]);
  } catch (error) {
    (error as Error).message += `\nscreenshot: ${path.relative(root, await screenshot(page, 'vsix'))}`;
    throw error;
  } finally {
    await browser.close();
    await server.stop();
  }
  fs.rmSync(scratch, { recursive: true, force: true });
});
