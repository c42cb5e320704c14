/**
 * `ProfilerHost`: the language server's and the CLI's handle on the profiler worker (dist/worker.js). It forks
 * the worker on first use, checks each request against the memory budget before sending it, times requests out,
 * cancels them, and restarts a worker that crashed or hung, with a message that says what happened.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { BackendSetting, BackendStatus } from './backends';
import { bytesNeeded, validateRequest, type ProfileRequest } from './plan';
import type { ProfileResult } from './profile-result';
import type { HostMessage, ReadyMessage, WorkerMessage } from './protocol';

export interface ProfilerOptions {
  backend: BackendSetting;
  /** Per request, from sending to result. */
  timeoutMs: number;
  memoryBudgetBytes: number;
  /** dist/worker.js; defaults to the file next to the running bundle. */
  workerPath?: string;
  /** false in an untrusted workspace: the worker does not load optional native packages (CUDA). */
  trusted?: boolean;
  /**
   * What the user changes to raise a limit, as refusals name it: VS Code settings by default, the flags in the CLI.
   */
  limitNames?: { memoryBudget: string; timeout: string };
}

const SETTING_NAMES = { memoryBudget: 'reglens.profiler.memoryBudgetMB', timeout: 'reglens.profiler.timeoutMs' };

export const DEFAULT_PROFILER_OPTIONS: ProfilerOptions = {
  backend: 'auto',
  timeoutMs: 60_000,
  memoryBudgetBytes: 1024 * 1024 * 1024,
};

export type ProfileErrorKind = 'cancelled' | 'timeout' | 'budget' | 'crashed' | 'invalid' | 'failed';

export class ProfileError extends Error {
  constructor(
    readonly kind: ProfileErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export interface BackendInfo {
  backend: string;
  device: string;
  statuses: BackendStatus[];
  fallback?: string;
}

interface Pending {
  resolve: (r: ProfileResult) => void;
  reject: (e: ProfileError) => void;
  timer: NodeJS.Timeout;
  cleanup: () => void;
}

const formatBytes = (n: number): string =>
  n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(2)} GiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;

export class ProfilerHost {
  private child: ChildProcess | undefined;
  private ready: Promise<BackendInfo> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private restarts = 0;
  private cancelledInWorker = 0;
  /** Called with a user-facing sentence whenever the worker died or was restarted. */
  onWorkerProblem: (message: string) => void = () => undefined;
  /** Called whenever a worker reports its backends. */
  onReady: (info: BackendInfo) => void = () => undefined;

  constructor(private options: ProfilerOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get restartCount(): number {
    return this.restarts;
  }

  /** Requests the worker itself stopped because they were cancelled. */
  get workerCancellations(): number {
    return this.cancelledInWorker;
  }

  /** New settings; a different backend restarts the worker on the next request. */
  configure(options: ProfilerOptions): void {
    const backendChanged = options.backend !== this.options.backend || options.trusted !== this.options.trusted;
    this.options = options;
    if (backendChanged) this.stop();
  }

  /** The worker's backend, starting it when needed. */
  backends(): Promise<BackendInfo> {
    return this.start();
  }

  profile(request: ProfileRequest, signal?: AbortSignal): Promise<ProfileResult> {
    const problem = validateRequest(request);
    if (problem) return Promise.reject(new ProfileError('invalid', problem));
    const needed = bytesNeeded(request);
    if (needed > this.options.memoryBudgetBytes) {
      return Promise.reject(
        new ProfileError(
          'budget',
          `Shape ${JSON.stringify(request.shape)} needs ${formatBytes(needed)} (${needed} bytes) to profile, more ` +
            `than the memory budget of ${formatBytes(this.options.memoryBudgetBytes)} ` +
            `(${(this.options.limitNames ?? SETTING_NAMES).memoryBudget}). Use a smaller shape or raise the budget.`,
        ),
      );
    }
    if (signal?.aborted) return Promise.reject(new ProfileError('cancelled', 'Profiling was cancelled.'));
    return new Promise<ProfileResult>((resolve, reject) => {
      const id = this.nextId++;
      const onAbort = (): void => {
        this.settle(id, new ProfileError('cancelled', 'Profiling was cancelled.'));
        this.send({ type: 'cancel', id });
      };
      const timer = setTimeout(() => {
        // A request past its time may be a hung kernel or driver: the only safe cure is a fresh worker.
        const seconds = (this.options.timeoutMs / 1000).toFixed(this.options.timeoutMs < 1000 ? 3 : 0);
        this.settle(
          id,
          new ProfileError(
            'timeout',
            `Profiling took longer than ${seconds} s (${(this.options.limitNames ?? SETTING_NAMES).timeout}); ` +
              'the profiler worker was stopped and will restart on the next request.',
          ),
        );
        this.kill('timed out');
      }, this.options.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, { resolve, reject, timer, cleanup: () => signal?.removeEventListener('abort', onAbort) });
      this.start().then(
        () => this.send({ type: 'profile', id, request }),
        (e: unknown) => this.settle(id, e instanceof ProfileError ? e : new ProfileError('failed', String(e))),
      );
    });
  }

  /** Stops the worker; pending requests fail. */
  dispose(): void {
    this.stop();
  }

  private start(): Promise<BackendInfo> {
    if (this.ready && this.child) return this.ready;
    const workerPath = this.options.workerPath ?? path.join(__dirname, 'worker.js');
    const child = fork(workerPath, [], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
      execArgv: workerExecArgv(process.execArgv),
    });
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    this.ready = new Promise<BackendInfo>((resolve, reject) => {
      child.on('message', (message: WorkerMessage) => {
        switch (message.type) {
          case 'ready': {
            const info = readyInfo(message);
            this.onReady(info);
            resolve(info);
            break;
          }
          case 'fatal':
            reject(new ProfileError('failed', `The profiler could not start: ${message.message}`));
            // A worker without a backend is of no use: the next request starts a fresh one (which may succeed once
            // a driver or setting is fixed) instead of getting this failure forever.
            if (this.child === child) {
              this.child = undefined;
              this.ready = undefined;
              child.kill();
            }
            break;
          case 'result':
            this.settle(message.id, undefined, message.result);
            break;
          case 'error':
            if (message.cancelled) this.cancelledInWorker++;
            this.settle(
              message.id,
              new ProfileError(
                message.cancelled ? 'cancelled' : message.invalid ? 'invalid' : 'failed',
                message.message,
              ),
            );
            break;
        }
      });
      child.on('error', (e) => reject(new ProfileError('failed', `The profiler worker could not start: ${e.message}`)));
      child.on('exit', (code, signal) => {
        if (this.child !== child) return;
        this.child = undefined;
        this.ready = undefined;
        const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
        const tail = stderr.trim().split('\n').slice(-3).join(' | ');
        const text =
          `The profiler worker ${how}${tail ? `: ${tail}` : ''}. It restarts on the next request; ` +
          `diagnostics are not affected.`;
        reject(new ProfileError('crashed', text));
        if (this.pending.size > 0) {
          this.restarts++;
          this.onWorkerProblem(text);
          for (const id of [...this.pending.keys()]) this.settle(id, new ProfileError('crashed', text));
        }
      });
    });
    this.ready.catch(() => undefined);
    this.send({ type: 'init', backend: this.options.backend, trusted: this.options.trusted });
    return this.ready;
  }

  private send(message: HostMessage): void {
    const child = this.child;
    if (!child?.connected) return;
    child.send(message, (e) => {
      if (e && 'id' in message)
        this.settle(message.id, new ProfileError('crashed', `The profiler worker is gone: ${e.message}`));
    });
  }

  private settle(id: number, error?: ProfileError, result?: ProfileResult): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.cleanup();
    if (error) p.reject(error);
    else p.resolve(result!);
  }

  private kill(reason: string): void {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    this.ready = undefined;
    this.restarts++;
    child.kill('SIGKILL');
    const text = `The profiler worker ${reason} and was stopped.`;
    for (const id of [...this.pending.keys()]) this.settle(id, new ProfileError('crashed', text));
  }

  private stop(): void {
    const child = this.child;
    this.child = undefined;
    this.ready = undefined;
    for (const id of [...this.pending.keys()])
      this.settle(id, new ProfileError('cancelled', 'The profiler was stopped.'));
    if (child) {
      child.disconnect?.();
      child.kill();
    }
  }
}

/**
 * The host's Node flags without module loaders (`--import tsx`, `--require`, `--loader`): the worker is a bundle
 * and needs none, and a TypeScript loader inherited from a host run from source (tests, benchmarks, a CLI under tsx)
 * added about 0.8 s to every worker start. Other flags (memory limits, --inspect) still apply to the worker.
 */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const loaders = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i];
    if (loaders.has(arg)) {
      i++;
      continue;
    }
    if ([...loaders].some((flag) => flag.startsWith('--') && arg.startsWith(`${flag}=`))) continue;
    out.push(arg);
  }
  return out;
}

function readyInfo(m: ReadyMessage): BackendInfo {
  return { backend: m.backend, device: m.device, statuses: m.statuses, fallback: m.fallback };
}
