// Interpreted code in the real profiler worker (dist/worker.js through ProfilerHost, as the language server and the
// CLI run it): a hostile program stops at its limit as an `invalid` request with its sentence, not as a crash, and
// the same worker goes on to profile the next regularizer.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { ProfileError, ProfilerHost } from '../../kernels/host';
import { initParser } from '../../server/engine/parser';
import { loadCorpus, programKernel, SHAPE, type CorpusEntry } from './corpus';

const workerPath = path.resolve(__dirname, '../../dist/worker.js');
let corpus: CorpusEntry[] = [];
let hostile: CorpusEntry[] = [];

before(async () => {
  await initParser();
  corpus = loadCorpus('corpus');
  hostile = loadCorpus('hostile');
});

test('a program that never ends stops at the step limit in the worker, which then profiles the next one', async () => {
  const host = new ProfilerHost({ backend: 'cpu', timeoutMs: 120_000, memoryBudgetBytes: 512 * 1024 ** 2, workerPath });
  try {
    const spin = hostile.find((c) => c.file === 'while_true.py')!;
    let error: unknown;
    await host
      .profile({ kernel: programKernel(spin.entry, spin.extracted.program), shape: SHAPE, seed: 1 })
      .catch((e: unknown) => (error = e));
    assert.ok(error instanceof ProfileError, String(error));
    assert.equal(error.kind, 'invalid', 'the code stopped, the worker did not fail');
    assert.match(error.message, /^not profiled: stopped at line 9 after 100000 steps \(the step limit/);
    const pid = host.pid;

    const timm = corpus.find((c) => c.file === 'timm_drop_path_module.py')!;
    const result = await host.profile({
      kernel: programKernel(timm.entry, timm.extracted.program),
      shape: SHAPE,
      seed: 1,
    });
    assert.equal(host.pid, pid, 'the same worker');
    assert.equal(result.implementation?.granularity.train, 'sample');
    assert.equal(result.description, 'DropPath (its code, interpreted)');
  } finally {
    host.dispose();
  }
});
