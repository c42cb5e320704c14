// The profiler worker (dist/worker.js): a child process the language server or CLI forks. It owns TensorFlow.js
// and the GPU; a crash or hang here costs a restart, never the language server. It runs only the kernels in this
// folder on synthetic tensors, and the user's regularizer code only through the interpreter's whitelist (never Python).
import * as fs from 'node:fs';
import { selectBackend, type ActiveBackend } from './backends';
import { InterpreterError } from './interpreter/values';
import { CancelledError } from './measurement';
import { kernelShape, validateRequest, type ProfileRequest } from './plan';
import { profileKernel } from './profile';
import type { HostMessage, WorkerMessage } from './protocol';
import { tf } from './tf';

const send = (message: WorkerMessage): void => {
  process.send?.(message);
};

let active: Promise<ActiveBackend> | undefined;
const cancelled = new Set<number>();
let queue: Promise<void> = Promise.resolve();

/**
 * Test-only fault injection (test/stress/profiler-faults.stress.ts): when REGLENS_TEST_WORKER_FAULTS names a file,
 * each worker takes the file's first line as the fault for its next init or profile request and removes it, so a
 * fault hits one worker and the restarted worker runs normally. Faults: `init-fail` (no backend can start),
 * `hang` (a profile request never returns, the event loop blocked), `crash` (the worker exits mid-request).
 * Nothing sets the variable outside the tests.
 */
function takeFault(when: 'init' | 'profile'): string | undefined {
  const file = process.env.REGLENS_TEST_WORKER_FAULTS;
  if (!file) return undefined;
  let lines: string[];
  try {
    lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return undefined;
  }
  const fault = lines[0];
  const applies = when === 'init' ? fault === 'init-fail' : fault === 'hang' || fault === 'crash';
  if (!applies) return undefined;
  fs.writeFileSync(file, lines.slice(1).join('\n'));
  return fault;
}

process.on('message', (raw: HostMessage) => {
  switch (raw.type) {
    case 'init':
      active = (
        takeFault('init')
          ? Promise.reject(new Error('test fault: every backend failed to initialise'))
          : selectBackend(raw.backend, raw.trusted !== false)
      ).then(
        (selection) => {
          send({
            type: 'ready',
            backend: selection.active.name,
            device: selection.active.device,
            statuses: selection.statuses,
            fallback: selection.fallback,
          });
          return selection.active;
        },
        (e: unknown) => {
          send({ type: 'fatal', message: e instanceof Error ? e.message : String(e) });
          throw e;
        },
      );
      active.catch(() => undefined);
      break;
    case 'cancel':
      cancelled.add(raw.id);
      break;
    case 'profile': {
      const { id, request } = raw;
      const fault = takeFault('profile');
      if (fault === 'crash') process.exit(70);
      if (fault === 'hang') for (;;);
      queue = queue.then(() => run(id, request));
      break;
    }
  }
});

async function run(id: number, request: ProfileRequest): Promise<void> {
  try {
    if (cancelled.has(id)) throw new CancelledError();
    const problem = validateRequest(request);
    if (problem) throw new Error(problem);
    if (!active) throw new Error('the worker was not initialised');
    const backend = await active;
    const tensorBytes = kernelShape(request).reduce((a, b) => a * b, 1) * 4;
    if (backend.maxTensorBytes !== undefined && tensorBytes > backend.maxTensorBytes) {
      const mib = (n: number) => `${(n / 1024 ** 2).toFixed(1)} MiB`;
      throw new Error(
        `Shape ${JSON.stringify(request.shape)} needs a ${mib(tensorBytes)} tensor; this ${backend.name} adapter ` +
          `(${backend.device}) binds at most ${mib(backend.maxTensorBytes)} (maxStorageBufferBindingSize). Use a ` +
          `smaller shape or another backend.`,
      );
    }
    const result = await profileKernel(request, {
      backend: backend.name,
      device: backend.device,
      isCancelled: () => cancelled.has(id),
      sync: backend.sync,
    });
    send({ type: 'result', id, result });
  } catch (e) {
    send({
      type: 'error',
      id,
      message: e instanceof Error ? e.message : String(e),
      cancelled: e instanceof CancelledError,
      invalid: e instanceof InterpreterError,
    });
  } finally {
    cancelled.delete(id);
    // Leaked tensors would grow the worker until the memory budget means nothing.
    if (active) tf().disposeVariables();
  }
}

// The host going away (language server exit) must not leave a worker behind.
process.on('disconnect', () => process.exit(0));
