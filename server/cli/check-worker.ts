// A check worker (dist/check-worker.js, a bundle of its own): a worker thread of `reglens check` with its own
// tree-sitter parser. It checks the files check-pool.ts hands it with the code the main thread runs (check-file.ts),
// with a workspace index of its own that names every file found and scans those its lookups reach; it never writes a
// file (--fix and --add-noqa run on the main thread; --diff's changes come back as data).
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { parserLoaded } from '../core/document';
import { CheckWorkspace, checkFile, type FileOutcome } from './check-file';
import type { CheckWorkerData, FromWorker, ToWorker, WorkerTotals, WorkFile } from './check-protocol';
import { SettingsResolver } from './settings';

const port = parentPort;
if (!port) throw new Error('check-worker.js runs as a worker thread of `reglens check`');
const data = workerData as CheckWorkerData;
const resolver = new SettingsResolver(data.flags, data.explicit);
// The index, as the main thread's builds it: every file found, by name, in the order found.
const workspace = new CheckWorkspace(() => data.roots, data.indexFiles);

const post = (message: FromWorker) => port.postMessage(message);
const totals: WorkerTotals = { checked: 0, checkMs: 0, scanned: 0, summaries: 0, summaryMs: 0 };
const totalsNow = (): WorkerTotals => ({ ...totals, ...workspace.stats });

async function check(files: WorkFile[]): Promise<void> {
  const started = performance.now();
  for (const file of files) {
    const settings = resolver.forFile(file.absolute);
    const outcome: FileOutcome =
      settings.error !== undefined
        ? { kind: 'failed', error: settings.error }
        : await checkFile(file, {
            selection: settings.selection,
            fix: data.diff,
            diff: data.diff,
            unsafe: data.unsafeFixes,
            excerpts: data.excerpts,
            workspace,
            recordSource: data.cached,
          });
    post({ type: 'checked', id: file.id, outcome });
  }
  totals.checked += files.length;
  totals.checkMs += performance.now() - started;
  post({ type: 'check-done', totals: totalsNow() });
}

port.on('message', (message: ToWorker) => {
  // A failure here is not caught: the thread stops, and the pool reports the file it was on.
  if (message.type === 'check') void check(message.files);
});

// Compiling the parser's wasm overlaps the other workers' start; a failure to load it is seen by whoever awaits it.
parserLoaded().catch(() => {});
post({ type: 'ready' });
