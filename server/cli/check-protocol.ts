// The messages between `reglens check` (check-pool.ts, on the main thread) and its check workers (check-worker.ts).
// Everything here is plain data: a worker's messages are structured clones.
import type { LoadedConfig } from '../engine/config';
import type { IndexEntry } from '../engine/workspace';
import type { FileOutcome } from './check-file';
import type { FlagSettings } from './settings';

/** What every worker starts with (`workerData`). */
export interface CheckWorkerData {
  /** --select / --ignore, and --config's pyproject.toml, as the main thread's settings resolver has them. */
  flags: FlagSettings;
  explicit: LoadedConfig | null;
  unsafeFixes: boolean;
  /** The workspace index's roots (check-file.ts `indexRoots`). */
  roots: string[];
}

/** A file handed to a worker: `id` is its place in the list it came from (files to check, or files to index). */
export interface WorkFile {
  id: number;
  display: string;
  absolute: string;
  /** Its size, which the batches are cut by (0 when it cannot be read: its worker says why). */
  bytes: number;
}

/**
 * Why the workspace index could not be built: the message of what the first file that failed to scan threw. Every
 * check that needs the index then fails with it, as when the main thread builds the index itself.
 */
export interface IndexFailure {
  message: string | undefined;
}

export type ToWorker =
  /** Check these files, one after another, posting each one's outcome, then `check-done`. */
  | { type: 'check'; files: WorkFile[] }
  /** Scan these files for the workspace index, posting each one's entry, then `scan-done`. */
  | { type: 'scan'; files: WorkFile[] }
  /** The whole index, the entries in the order the files were found (null entries left out). */
  | { type: 'index'; entries: IndexEntry[]; failure: IndexFailure | null };

/** What a worker has done so far: the pool's trace prints it (REGLENS_TRACE_CHECK=1). */
export interface WorkerTotals {
  checked: number;
  checkMs: number;
  scanned: number;
  scanMs: number;
  /**
   * Files whose classes it summarized for the index, and how long that took (part of `checkMs`): check-pool.ts
   * hands out neighbouring files so that few files are summarized by more than one worker.
   */
  summaries: number;
  summaryMs: number;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'checked'; id: number; outcome: FileOutcome }
  | { type: 'check-done'; totals: WorkerTotals }
  /** A check waits for the workspace index: the worker is free to scan meanwhile. */
  | { type: 'need-index' }
  | { type: 'scanned'; id: number; entry: IndexEntry | null; failure?: IndexFailure }
  | { type: 'scan-done'; totals: WorkerTotals };
