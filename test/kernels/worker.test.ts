// The profiler worker through ProfilerHost, as the language server and CLI use it: a real child process running
// dist/worker.js (built by scripts/test.mjs). Nothing here is timed: each test waits for events.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { ProfileError, ProfilerHost, workerExecArgv, type ProfilerOptions } from '../../kernels/host';
import type { ProfileRequest } from '../../kernels/plan';

const workerPath = path.resolve(__dirname, '../../dist/worker.js');
const options = (extra: Partial<ProfilerOptions> = {}): ProfilerOptions => ({
  backend: 'cpu',
  timeoutMs: 120_000,
  memoryBudgetBytes: 512 * 1024 ** 2,
  workerPath,
  ...extra,
});
/** Long enough on any backend that it is still running when the test acts on it (no time budget cuts it short). */
const slow: ProfileRequest = {
  kernel: { kind: 'dropout', p: 0.1 },
  shape: [8, 256, 768],
  seed: 1,
  repeats: 400,
  timingBudgetMs: 600_000,
};
const quick: ProfileRequest = { kernel: { kind: 'dropout', p: 0.1 }, shape: [4, 16, 32], seed: 1, repeats: 1 };

async function rejection(promise: Promise<unknown>): Promise<ProfileError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof ProfileError, `a ProfileError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the request to fail');
}

test('a profile runs in a separate process and reports every backend with a reason', async () => {
  const host = new ProfilerHost(options());
  try {
    const result = await host.profile(quick);
    assert.equal(result.backend, 'cpu');
    assert.notEqual(host.pid, process.pid);
    const info = await host.backends();
    assert.deepEqual(
      info.statuses.map((s) => s.name),
      ['cuda', 'webgpu', 'wasm', 'cpu'],
    );
    for (const s of info.statuses) assert.ok(s.detail.length > 0, `${s.name} says why`);
    const cuda = info.statuses[0];
    if (!cuda.available) assert.match(cuda.detail, /tfjs-node-gpu/);
  } finally {
    host.dispose();
  }
});

test('the memory budget refuses a shape before the worker runs it, naming the bytes needed', async () => {
  const host = new ProfilerHost(options({ memoryBudgetBytes: 64 * 1024 ** 2 }));
  try {
    const error = await rejection(host.profile({ ...quick, shape: [64, 1024, 1024] }));
    assert.equal(error.kind, 'budget');
    assert.match(error.message, /1610612736 bytes/);
    assert.match(error.message, /memory budget of 64\.0 MiB/);
    assert.equal(host.pid, undefined, 'no worker was started for a refused request');
  } finally {
    host.dispose();
  }
});

test('a cancelled request stops in the worker, which then serves the next request', async () => {
  const host = new ProfilerHost(options());
  try {
    await host.backends();
    const controller = new AbortController();
    const running = host.profile(slow, controller.signal);
    controller.abort();
    assert.equal((await rejection(running)).kind, 'cancelled');
    const pid = host.pid;
    // The worker handles requests in order: the next result arrives only after the cancelled one stopped.
    const next = await host.profile(quick);
    assert.equal(next.train.rateInside, true);
    assert.equal(host.pid, pid, 'cancelling does not restart the worker');
    assert.equal(host.workerCancellations, 1, 'the worker itself reported the cancellation');
  } finally {
    host.dispose();
  }
});

test('a request past its timeout fails with a clear message and the worker is replaced', async () => {
  const host = new ProfilerHost(options({ timeoutMs: 1 }));
  try {
    const error = await rejection(host.profile(slow));
    assert.equal(error.kind, 'timeout');
    assert.match(error.message, /longer than 0\.001 s \(reglens\.profiler\.timeoutMs\)/);
    host.configure(options());
    const result = await host.profile(quick);
    assert.equal(result.eval.identity, true);
    assert.equal(host.restartCount, 1);
  } finally {
    host.dispose();
  }
});

test('a worker killed mid-request fails that request with a clear message and restarts', async () => {
  const host = new ProfilerHost(options());
  const problems: string[] = [];
  host.onWorkerProblem = (m) => problems.push(m);
  try {
    await host.backends();
    const first = host.pid!;
    const running = host.profile(slow);
    process.kill(first, 'SIGKILL');
    const error = await rejection(running);
    assert.equal(error.kind, 'crashed');
    assert.match(error.message, /The profiler worker was killed \(SIGKILL\).*restarts on the next request/);
    assert.equal(problems.length, 1);
    const result = await host.profile(quick);
    assert.equal(result.train.rateInside, true);
    assert.notEqual(host.pid, first);
  } finally {
    host.dispose();
  }
});

test('an invalid request is refused with its reason', async () => {
  const host = new ProfilerHost(options());
  try {
    const error = await rejection(host.profile({ ...quick, shape: [0, 3] }));
    assert.equal(error.kind, 'invalid');
    assert.match(error.message, /positive integers/);
    const rate = await rejection(host.profile({ ...quick, kernel: { kind: 'dropout', p: 1.5 } }));
    assert.match(rate.message, /outside \[0, 1\]/);
  } finally {
    host.dispose();
  }
});

test("the worker starts without the host's module loaders but keeps its other Node flags", async () => {
  assert.deepEqual(
    workerExecArgv([
      '--import',
      'tsx',
      '--max-old-space-size=4096',
      '--require=./hook.js',
      '-r',
      'ts-node/register',
      '--inspect',
      '--loader',
      'x',
      '--experimental-loader=y',
    ]),
    ['--max-old-space-size=4096', '--inspect'],
  );
  assert.deepEqual(workerExecArgv([]), []);
  // This test file itself runs under `--import tsx`; the worker, a plain bundle, still starts and answers.
  assert.ok(
    process.execArgv.some((a) => a.includes('tsx')),
    'the test runner loads tsx into this process',
  );
  const host = new ProfilerHost(options());
  try {
    assert.equal((await host.profile(quick)).backend, 'cpu');
  } finally {
    host.dispose();
  }
});
