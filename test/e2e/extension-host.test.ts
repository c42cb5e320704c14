// The extension-host suite (test/e2e/suite/, mocha) inside a real VS Code: code-server 4.100.3 rendered by
// headless Chromium, with the repository as the extension under development and a fresh copy of examples/ as the
// workspace. Every mocha test is reported here as a subtest.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  buildSuite,
  e2eSkipReason,
  launchBrowser,
  prepareWorkspace,
  resultsDir,
  root,
  runExtensionTests,
  screenshot,
  startCodeServer,
  workbenchUrl,
} from './harness';
import type { TestRecord } from './suite/index';

const skip = e2eSkipReason();

test('extension-host suite in VS Code (code-server)', { skip, timeout: 240_000 }, async (t) => {
  const suite = await buildSuite();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-e2e-'));
  const resultsFile = path.join(scratch, 'results.json');
  const consoleFile = path.join(resultsDir, 'extension-host-console.log');
  // The extension host inherits code-server's environment.
  const server = await startCodeServer({ scratch, env: { REGLENS_E2E_RESULTS: resultsFile } });
  let exitCode: number | undefined;
  const consoleLog: string[] = [];
  const browser = await launchBrowser().catch(async (error) => {
    await server.stop();
    throw error;
  });
  try {
    const page = await browser.newPage();
    const workspace = prepareWorkspace(server.scratch);
    try {
      exitCode = await runExtensionTests(
        page,
        workbenchUrl(server, workspace, { extensionDevelopmentPath: root, extensionTestsPath: suite }),
        200_000,
        consoleLog,
      );
    } catch (error) {
      const shot = await screenshot(page, 'extension-host-suite');
      throw new Error(
        `${(error as Error).message} (screenshot: ${path.relative(root, shot)}, console: ` +
          `${path.relative(root, consoleFile)})\ncode-server output:\n${server.log().slice(-4000)}`,
      );
    }
  } finally {
    await browser.close();
    await server.stop();
    if (exitCode !== 0) {
      // The extension host's console (mocha's spec report, the client's errors), kept for a failed run.
      fs.mkdirSync(resultsDir, { recursive: true });
      fs.writeFileSync(consoleFile, consoleLog.join('\n'));
    }
  }

  assert.ok(
    fs.existsSync(resultsFile),
    `the suite wrote no results (exit code ${exitCode}; console in ${path.relative(root, consoleFile)}); ` +
      `code-server output:\n${server.log().slice(-4000)}`,
  );
  const records = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as TestRecord[];
  for (const record of records) {
    await t.test(record.title, { skip: record.state === 'pending' ? 'skipped in the suite' : undefined }, () => {
      if (record.state === 'failed') throw new Error(record.error);
    });
  }
  assert.equal(records[0]?.title, 'activation Reglens activates and its language server reports this version');
  assert.equal(records[0]?.state, 'passed', 'activation comes first and passes');
  assert.deepEqual(
    records.filter((r) => r.state === 'failed').map((r) => r.title),
    [],
  );
  assert.equal(exitCode, 0, `the suite failed; its console is in ${path.relative(root, consoleFile)}`);
  fs.rmSync(server.scratch, { recursive: true, force: true });
});
