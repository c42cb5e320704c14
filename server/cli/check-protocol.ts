// The messages between `reglens check` (check-pool.ts, on the main thread) and its check workers (check-worker.ts).
// Everything here is plain data: a worker's messages are structured clones.
import type { LoadedConfig } from '../engine/config';
import type { FileOutcome } from './check-file';
import type { FlagSettings } from './settings';

/** What every worker starts with (`workerData`). */
export interface CheckWorkerData {
  /** --select / --ignore, and --config's pyproject.toml, as the main thread's settings resolver has them. */
  flags: FlagSettings;
  explicit: LoadedConfig | null;
  unsafeFixes: boolean;
  /** Keep the code around each finding (`--output-format full`). */
  excerpts: boolean;
  /** --diff: say what the fixes would change (workers never write a file). */
  diff: boolean;
  /** The workspace index's roots (check-file.ts `indexRoots`). */
  roots: string[];
  /** Every file found, in order: each worker indexes them by name, as the main thread does. */
  indexFiles: string[];
  /** Say what each file's findings were computed from, for the cache (check-cache.ts). */
  cached: boolean;
}

/** A file handed to a worker: `id` is its place in the list of files to check. */
export interface WorkFile {
  id: number;
  display: string;
  absolute: string;
  /** Its size, which the batches are cut by (0 when it cannot be read: its worker says why). */
  bytes: number;
}

export type ToWorker =
  /** Check these files, one after another, posting each one's outcome, then `check-done`. */
  { type: 'check'; files: WorkFile[] };

/** What a worker has done so far: the pool's trace prints it (REGLENS_TRACE_CHECK=1). */
export interface WorkerTotals {
  checked: number;
  checkMs: number;
  /** Indexed files its lookups reached, and so scanned (server/engine/workspace.ts `addUnscanned`). */
  scanned: number;
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
  | { type: 'check-done'; totals: WorkerTotals };
