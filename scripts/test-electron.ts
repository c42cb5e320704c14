// `npm run test:electron`: the extension-host suite (test/e2e/suite/) in desktop VS Code through
// @vscode/test-electron, for machines that can download VS Code (CI here cannot: its suite runs in code-server as
// part of `npm test`). VSCODE_VERSION picks the version (default: stable); a display is needed (xvfb-run on Linux).
import { runTests } from '@vscode/test-electron';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSuite, prepareWorkspace, root } from '../test/e2e/harness';
import type { TestRecord } from '../test/e2e/suite/index';

async function main(): Promise<void> {
  execFileSync(process.execPath, [path.join(root, 'esbuild.mjs')], { stdio: 'inherit', cwd: root });
  const suite = await buildSuite();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-electron-'));
  const workspace = prepareWorkspace(scratch);
  const results = path.join(scratch, 'results.json');

  let exitCode: number;
  try {
    exitCode = await runTests({
      version: process.env.VSCODE_VERSION ?? 'stable',
      extensionDevelopmentPath: root,
      extensionTestsPath: suite,
      extensionTestsEnv: { REGLENS_E2E_RESULTS: results },
      launchArgs: [
        workspace,
        '--disable-extensions', // other installed extensions; the one under development still loads
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
        '--user-data-dir',
        path.join(scratch, 'user-data'),
        '--extensions-dir',
        path.join(scratch, 'extensions'),
      ],
    });
  } catch (error) {
    console.error(`test:electron: ${error instanceof Error ? error.message : String(error)}`);
    console.error(
      'test:electron: could not download or run VS Code here; `npm test` runs the same suite in code-server.',
    );
    process.exit(1);
  }
  if (fs.existsSync(results)) {
    const records = JSON.parse(fs.readFileSync(results, 'utf8')) as TestRecord[];
    const count = (state: TestRecord['state']) => records.filter((r) => r.state === state).length;
    console.log(`test:electron: ${count('passed')} passed, ${count('failed')} failed, ${count('pending')} pending`);
  }
  fs.rmSync(scratch, { recursive: true, force: true });
  process.exit(exitCode);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
