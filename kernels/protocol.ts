/** Messages between the host (language server, CLI) and the profiler worker, over Node's IPC channel. */
import type { BackendSetting, BackendStatus } from './backends';
import type { ProfileRequest } from './plan';
import type { ProfileResult } from './profile-result';

export type HostMessage =
  | { type: 'init'; backend: BackendSetting; trusted?: boolean }
  | { type: 'profile'; id: number; request: ProfileRequest }
  | { type: 'cancel'; id: number };

export interface ReadyMessage {
  type: 'ready';
  backend: string;
  device: string;
  statuses: BackendStatus[];
  fallback?: string;
}

export type WorkerMessage =
  | ReadyMessage
  | { type: 'fatal'; message: string }
  | { type: 'result'; id: number; result: ProfileResult }
  /**
   * `invalid`: the request cannot run as asked (interpreted code stopped at an unsupported construct or a limit), not a
   * profiler failure.
   */
  | { type: 'error'; id: number; message: string; cancelled?: boolean; invalid?: boolean };
