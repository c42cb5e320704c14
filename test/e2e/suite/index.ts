// Entry point of the extension-host suite: VS Code (code-server through the `payload` URL parameter, or Electron
// through @vscode/test-electron) loads this bundle (.cache/e2e/suite/index.js) and calls run().
//
// Suites run in the order listed. activation comes first, and every later suite awaits the same activation in its
// suiteSetup, so nothing passes when the extension fails to activate. New features add their suite here:
// code lenses and profiling (issue: profiler) and notebooks go after settings.
import * as fs from 'node:fs';
import Mocha from 'mocha';

const SUITES = [
  () => require('./activation'),
  () => require('./diagnostics'),
  () => require('./quickFixes'),
  () => require('./fixAllOnSave'),
  () => require('./noqa'),
  () => require('./settings'),
  () => require('./codeLenses'),
  () => require('./notebooks'),
  // Last: "Check workspace" publishes problems for files the suites above expect to see only when opened.
  () => require('./workspace'),
];

/** One mocha test's outcome, written as JSON to $REGLENS_E2E_RESULTS for the node:test side to report. */
export interface TestRecord {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs: number;
  error?: string;
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', timeout: 30_000, color: false, reporter: 'spec' });
  // What mocha.addFile + loadFiles would do for files on disk: install the tdd globals, then load the suites.
  mocha.suite.emit('pre-require', globalThis, 'reglens-e2e', mocha);
  for (const load of SUITES) load();

  const records: TestRecord[] = [];
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const out = process.env.REGLENS_E2E_RESULTS;
      if (out) fs.writeFileSync(out, JSON.stringify(records, null, 2));
      if (failures > 0) reject(new Error(`${failures} end-to-end test(s) failed`));
      else resolve();
    });
    runner.on('pass', (test) =>
      records.push({ title: test.fullTitle(), state: 'passed', durationMs: test.duration ?? 0 }),
    );
    runner.on('pending', (test) => records.push({ title: test.fullTitle(), state: 'pending', durationMs: 0 }));
    runner.on('fail', (test, error: Error) =>
      records.push({
        title: test.fullTitle(),
        state: 'failed',
        durationMs: test.duration ?? 0,
        error: error.stack ?? String(error),
      }),
    );
  });
}
