// A check worker (dist/check-worker.js, a bundle of its own): a worker thread of `reglens check` with its own
// tree-sitter parser. It checks the files check-pool.ts hands it with the code the main thread runs (check-file.ts),
// and scans files for the workspace index when the index is needed; it never fixes (--fix runs on the main thread).
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { parserLoaded } from '../core/document';
import type { IndexEntry } from '../engine/workspace';
import { checkFile, cliIndex, type FileOutcome } from './check-file';
import type { CheckWorkerData, FromWorker, IndexFailure, ToWorker, WorkerTotals, WorkFile } from './check-protocol';
import { SettingsResolver } from './settings';

const port = parentPort;
if (!port) throw new Error('check-worker.js runs as a worker thread of `reglens check`');
const data = workerData as CheckWorkerData;
const resolver = new SettingsResolver(data.flags, data.explicit);
const index = cliIndex(data.roots);

const post = (message: FromWorker) => port.postMessage(message);
const totals: WorkerTotals = { checked: 0, checkMs: 0, scanned: 0, scanMs: 0, summaries: 0, summaryMs: 0 };
const totalsNow = (): WorkerTotals => ({ ...totals, ...index.stats });
/** What the check batch in progress spent waiting for the index (scanning, meanwhile): not checking time. */
let waitedMs = 0;

/** Settles when the index arrives: with why it could not be built, or null. */
let indexed: Promise<IndexFailure | null> | undefined;
let deliverIndex: ((failure: IndexFailure | null) => void) | undefined;

async function workspaceFor(absolute: string) {
  if (!indexed) {
    indexed = new Promise((resolve) => {
      deliverIndex = resolve;
    });
    post({ type: 'need-index' });
  }
  const asked = performance.now();
  const failure = await indexed;
  waitedMs += performance.now() - asked;
  if (failure) {
    // What the main thread's failed index build would have thrown: the same message (`undefined` included).
    const error = new Error();
    error.message = failure.message as string;
    throw error;
  }
  return index.scopeFor(absolute);
}

async function check(files: WorkFile[]): Promise<void> {
  const started = performance.now();
  waitedMs = 0;
  for (const file of files) {
    const settings = resolver.forFile(file.absolute);
    const outcome: FileOutcome =
      settings.error !== undefined
        ? { kind: 'failed', error: settings.error }
        : await checkFile(file, {
            selection: settings.selection,
            fix: false,
            unsafe: data.unsafeFixes,
            workspace: () => workspaceFor(file.absolute),
          });
    post({ type: 'checked', id: file.id, outcome });
  }
  totals.checked += files.length;
  totals.checkMs += performance.now() - started - waitedMs;
  post({ type: 'check-done', totals: totalsNow() });
}

async function scan(files: WorkFile[]): Promise<void> {
  const started = performance.now();
  for (const file of files) {
    let entry: IndexEntry | null = null;
    let failure: IndexFailure | undefined;
    try {
      await parserLoaded();
      entry = index.entryFor(file.absolute);
    } catch (e) {
      failure = { message: (e as Error).message };
    }
    post({ type: 'scanned', id: file.id, entry, failure });
  }
  totals.scanned += files.length;
  totals.scanMs += performance.now() - started;
  post({ type: 'scan-done', totals: totalsNow() });
}

function receiveIndex(entries: IndexEntry[], failure: IndexFailure | null): void {
  for (const entry of entries) index.add(entry);
  if (deliverIndex) deliverIndex(failure);
  else indexed = Promise.resolve(failure);
}

port.on('message', (message: ToWorker) => {
  // A failure here is not caught: the thread stops, and the pool reports the file it was on.
  switch (message.type) {
    case 'check':
      void check(message.files);
      break;
    case 'scan':
      void scan(message.files);
      break;
    case 'index':
      receiveIndex(message.entries, message.failure);
      break;
  }
});

// Compiling the parser's wasm overlaps the other workers' start; a failure to load it is seen by whoever awaits it.
parserLoaded().catch(() => {});
post({ type: 'ready' });
