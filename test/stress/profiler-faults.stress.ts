// Profiler faults through the real server and real worker processes: a backend that fails to initialise, a
// worker that hangs past the timeout, a worker that dies mid-request, a shape over the memory budget. Each time
// the server stays up and keeps publishing diagnostics, the user gets a message that says what happened, and
// the next request succeeds. Faults are injected with the test-only REGLENS_TEST_WORKER_FAULTS file
// (kernels/worker.ts), one fault per worker; the worker killed by a signal is in test/lsp/profiling.test.ts.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, test } from 'node:test';
import { CodeLensRequest, ExecuteCommandRequest, type CodeLens } from 'vscode-languageserver-protocol/node';
import { TestClient, tempProject } from '../lsp/client';
import { PROFILED_MODEL } from '../lsp/fixtures';
import { joined } from '../patterns';

// The last site at the default shape [8, 256, 768]: big enough for the memory-budget and hang faults to bite.
const MODEL = PROFILED_MODEL.replace(
  'return self.drop(self.fc(x))  # reglens: shape=[4, 64, 96]',
  'return self.drop(self.fc(x))',
);
assert.notEqual(MODEL, PROFILED_MODEL, 'the fault tests need one site at the default shape');

const project = tempProject();
const faults = project.path('faults.txt');
let profilerSettings: Record<string, unknown> = { backend: 'cpu', timeoutMs: 20_000 };
let client: TestClient;

before(async () => {
  fs.writeFileSync(faults, '');
  client = await TestClient.start({
    env: { REGLENS_TEST_WORKER_FAULTS: faults },
    settings: () => ({ profiler: profilerSettings }),
  });
});

after(() => {
  client.dispose();
  project.cleanup();
});

const execute = (command: string, args: unknown[]) =>
  client.connection.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }) as Promise<{
    error?: string;
    train?: { rateInside: boolean };
  }>;

async function siteArgs(uri: string): Promise<unknown[]> {
  const lenses = (await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } })) as CodeLens[];
  return lenses.find((l) => l.command?.command === 'reglens.profileSite')!.command!.arguments!;
}

/** After a fault: the server is up, diagnostics still come, and a profile of another site succeeds. */
async function stillServing(name: string): Promise<void> {
  const uri = project.uri(`${name}-after.py`);
  client.open(uri, MODEL.replace('0.2', '0.25'));
  assert.ok(
    (await client.diagnostics(uri, 1)).some((d) => d.code === 'RG006'),
    'diagnostics still come',
  );
  const result = await execute('reglens.profileSite', await siteArgs(uri));
  assert.equal(result.error, undefined, `the next request succeeds: ${result.error}`);
  assert.equal(result.train?.rateInside, true);
  assert.equal(client.child.exitCode, null, 'the server is still running');
}

async function faulted(name: string, fault: string): Promise<{ error?: string }> {
  fs.writeFileSync(faults, fault);
  const uri = project.uri(`${name}.py`);
  client.open(uri, MODEL);
  await client.diagnostics(uri, 1);
  return execute('reglens.profileSite', await siteArgs(uri));
}

test('a backend that fails to initialise: a clear message, and the next request starts a working worker', async () => {
  // The first test: no worker runs yet, so the fault hits the first one. Same settings before and after, so only
  // the host's own recovery can bring the next worker up.
  const failed = await faulted('init-fail', 'init-fail');
  assert.match(failed.error ?? '', /The profiler could not start: test fault: every backend failed to initialise/);
  assert.ok(
    client.messages.some((m) => /could not start/.test(m.message)),
    'the user is told',
  );
  await stillServing('init-fail');
});

test('a worker hung past the timeout is stopped, the message names the setting; the next request works', async () => {
  profilerSettings = { backend: 'cpu', timeoutMs: 3_000 };
  const failed = await faulted('hang', 'hang');
  assert.match(
    failed.error ?? '',
    joined(
      /Profiling took longer than 3 s \(reglens\.profiler\.timeoutMs\); the profiler worker was stopped and wil/,
      /l restart on the next request/,
    ),
  );
  profilerSettings = { backend: 'cpu', timeoutMs: 20_000 };
  await stillServing('hang');
});

test('a worker that dies mid-request: the request fails saying so, the next one restarts it', async () => {
  const failed = await faulted('crash', 'crash');
  assert.match(
    failed.error ?? '',
    /The profiler worker exited with code 70.*restarts on the next request; diagnostics are not affected/,
  );
  assert.ok(client.messages.some((m) => /profiler worker exited with code 70/.test(m.message)));
  await stillServing('crash');
});

test('a shape over the memory budget is refused with the bytes it needs; the next request succeeds', async () => {
  profilerSettings = { backend: 'cpu', timeoutMs: 20_000, memoryBudgetMB: 16 };
  const uri = project.uri('budget.py');
  client.open(uri, MODEL);
  await client.diagnostics(uri, 1);
  const [docUri, siteId] = await siteArgs(uri);
  const failed = await execute('reglens.profileSite', [docUri, siteId, [64, 1024, 1024]]);
  assert.match(
    failed.error ?? '',
    joined(
      /Shape \[64,1024,1024\] needs .* bytes\) to profile, more than the memory budget of 16\.0 MiB \(reglens\./,
      /profiler\.memoryBudgetMB\)/,
    ),
  );
  assert.ok(client.messages.some((m) => /memory budget/.test(m.message)));
  await stillServing('budget');
});
