// `reglens check` on worker threads (check-worker.ts): hands out the files in batches (check-batches.ts) to whichever
// worker is free. Each worker indexes the files found itself, by name, and scans those its lookups reach
// (server/engine/workspace.ts `addUnscanned`). Outcomes come back in any order; check.ts reports them in the order
// the files were found.
//
// A worker that stops (a crash, out of memory) loses no file: the file it was on is tried again in a batch of its
// own and reported as failed if its worker stops again; the files after it are handed out again.
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { planBatches } from './check-batches';
import type { FileOutcome } from './check-file';
import type { CheckWorkerData, FromWorker, ToWorker, WorkerTotals, WorkFile } from './check-protocol';

export interface PoolOptions {
  /** dist/check-worker.js. */
  script: string;
  workers: number;
  data: CheckWorkerData;
  /** The files to check (their ids are their places in this list). */
  checkFiles: WorkFile[];
  /** Each file's outcome, once, as it comes. */
  onOutcome(id: number, outcome: FileOutcome): void;
  /** Where the timings go, one line at the end (REGLENS_TRACE_CHECK=1, for benchmarks). */
  trace?: (line: string) => void;
}

/** Files the pool could not check because no worker thread could run them, and why; check.ts checks them. */
export interface PoolResult {
  unchecked: WorkFile[];
  reason?: string;
}

/** Workers that stop while no file can be blamed (between batches) before the pool gives up. */
const MAX_UNEXPLAINED_STOPS = 3;

/** Batches handed out in order (check-batches.ts); files given back after a stop go first, one at a time. */
class WorkQueue {
  private readonly batches: WorkFile[][];
  private next = 0;
  private readonly again: WorkFile[] = [];
  /** Files whose worker stopped while on them: a second stop is the file's. */
  readonly stoppedOnce = new Set<number>();

  constructor(files: readonly WorkFile[], workers: number) {
    this.batches = planBatches(files, workers);
  }

  get empty(): boolean {
    return this.again.length === 0 && this.next >= this.batches.length;
  }

  take(): WorkFile[] {
    if (this.again.length > 0) return [this.again.shift()!];
    return this.batches[this.next++];
  }

  giveBack(files: readonly WorkFile[]): void {
    this.again.unshift(...files);
  }
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Its check batch: the files not reported yet, in order (the first is the one being checked). */
  checking: WorkFile[] | null;
  /** What the thread threw, for the exit that follows. */
  error?: string;
  /** Milliseconds from the pool's start to this worker's `ready`. */
  readyAt?: number;
  totals?: WorkerTotals;
}

export function checkOnWorkers(options: PoolOptions): Promise<PoolResult> {
  return new CheckPool(options).run();
}

class CheckPool {
  private readonly slots = new Set<Slot>();
  private readonly checks: WorkQueue;
  private readonly settled: boolean[];
  private unsettled: number;
  private everReady = false;
  private unexplainedStops = 0;
  private finish!: (result: PoolResult) => void;
  private done = false;
  private readonly started = performance.now();
  /** Every worker ever started, for the trace. */
  private readonly everyWorker: Slot[] = [];

  constructor(private readonly options: PoolOptions) {
    this.checks = new WorkQueue(options.checkFiles, options.workers);
    this.settled = options.checkFiles.map(() => false);
    this.unsettled = options.checkFiles.length;
  }

  run(): Promise<PoolResult> {
    return new Promise((resolve) => {
      this.finish = resolve;
      if (this.unsettled === 0) this.end({ unchecked: [] });
      else for (let i = 0; i < this.options.workers; i++) this.spawn();
    });
  }

  private spawn(): void {
    const slot: Slot = {
      worker: new Worker(this.options.script, { workerData: this.options.data }),
      ready: false,
      checking: null,
    };
    this.slots.add(slot);
    this.everyWorker.push(slot);
    slot.worker.on('message', (message: FromWorker) => this.received(slot, message));
    slot.worker.on('error', (e) => {
      slot.error = e instanceof Error ? e.message : String(e);
    });
    slot.worker.on('exit', (code) => this.stopped(slot, code));
  }

  private send(slot: Slot, message: ToWorker): void {
    slot.worker.postMessage(message);
  }

  private received(slot: Slot, message: FromWorker): void {
    if (this.done) return;
    switch (message.type) {
      case 'ready':
        slot.readyAt = performance.now() - this.started;
        slot.ready = true;
        this.everReady = true;
        break;
      case 'checked':
        slot.checking = slot.checking?.filter((f) => f.id !== message.id) ?? null;
        this.settle(message.id, message.outcome);
        break;
      case 'check-done':
        slot.totals = message.totals;
        slot.checking = null;
        break;
    }
    this.dispatchAll();
  }

  private settle(id: number, outcome: FileOutcome): void {
    if (this.settled[id]) return;
    this.settled[id] = true;
    this.unsettled--;
    this.options.onOutcome(id, outcome);
  }

  /** A batch for every idle worker. */
  private dispatchAll(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.checking || this.checks.empty) continue;
      slot.checking = this.checks.take();
      this.send(slot, { type: 'check', files: slot.checking });
    }
    // Every outcome is in; each worker's last `check-done` follows its last outcome at once, with its totals.
    if (this.unsettled === 0 && [...this.slots].every((s) => !s.checking)) this.end({ unchecked: [] });
  }

  /** A worker's thread ended, which only the pool's own `end` should do: nothing it held may be lost. */
  private stopped(slot: Slot, code: number): void {
    this.slots.delete(slot);
    if (this.done) return;
    const reason = slot.error ?? `exit code ${code}`;
    if (!slot.ready) {
      // It never started (its bundle is missing or broken): the others go on, or the main thread takes over.
      if (this.slots.size === 0) this.giveUp(this.everReady ? reason : `worker threads cannot start: ${reason}`);
      return;
    }
    if (slot.checking && slot.checking.length > 0) {
      const [file, ...rest] = slot.checking;
      this.checks.giveBack(rest);
      if (this.checks.stoppedOnce.has(file.id))
        this.settle(file.id, {
          kind: 'failed',
          error: `${file.display}: internal error while checking: the worker thread checking it stopped (${reason})`,
        });
      else {
        this.checks.stoppedOnce.add(file.id);
        this.checks.giveBack([file]);
      }
    } else {
      if (slot.checking) this.checks.giveBack(slot.checking);
      if (++this.unexplainedStops > MAX_UNEXPLAINED_STOPS) {
        this.giveUp(`worker threads stopped: ${reason}`);
        return;
      }
    }
    if (this.unsettled > 0) this.spawn();
    this.dispatchAll();
  }

  /** No worker can run: what is left goes back to check.ts. */
  private giveUp(reason: string): void {
    const unchecked = this.options.checkFiles.filter((f) => !this.settled[f.id]);
    this.end({ unchecked, reason });
  }

  private end(result: PoolResult): void {
    if (this.done) return;
    this.done = true;
    this.options.trace?.(this.traceLine());
    Promise.all([...this.slots].map((s) => s.worker.terminate())).then(
      () => this.finish(result),
      () => this.finish(result),
    );
  }

  /** Where the time went, in one line: start-up, the index, and each worker's share. */
  private traceLine(): string {
    const ms = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '-' : `${Math.round(n)} ms`);
    const ready = this.everyWorker.map((s) => s.readyAt ?? Number.NaN).filter((n) => !Number.isNaN(n));
    const workers = this.everyWorker.map((s, i) => {
      const t = s.totals;
      return t
        ? `worker ${i + 1}: ${t.checked} checked in ${ms(t.checkMs)} (${t.summaries} summarized in ` +
            `${ms(t.summaryMs)}, ${t.scanned} indexed files scanned)`
        : `worker ${i + 1}: no work`;
    });
    return (
      `trace: ${this.everyWorker.length} workers ready after ${ms(Math.min(...ready))} to ${ms(Math.max(...ready))}; ` +
      `done at ${ms(performance.now() - this.started)}; ${workers.join('; ')}`
    );
  }
}
