// The profiler's speed: per backend, the fused dropout kernel's throughput at [8,256,768] and [64,1024,1024],
// next to this machine's memory-copy bandwidth (measured here, in this run) and Debian PyTorch's CPU F.dropout on
// the same shapes; and the time from a lens click to its result with a cold and a warm worker (backend auto, the
// default: on a machine whose only WebGPU adapter is a software renderer, that is wasm; kernels/backends.ts).
import * as os from 'node:os';
import * as path from 'node:path';
import { ProfilerHost } from '../kernels/host';
import { CHUNK_COUNTERS, philoxWords, usePhiloxPath, type PhiloxPath } from '../kernels/philox-wasm';
import type { ProfileRequest } from '../kernels/plan';
import { findTorchPython, runPython } from './pytorch';
import { fmt, table } from './table';

const ROOT = path.resolve(__dirname, '..');
const WORKER = path.join(ROOT, 'dist', 'worker.js');
const SHAPES = [
  [8, 256, 768],
  [64, 1024, 1024],
];
const GB = 1e9;

const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
const elements = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Reads n floats and writes n floats: the same traffic as a dropout pass. */
function memcpyGBs(n: number): number {
  const src = new Float32Array(n).fill(1.5);
  const dst = new Float32Array(n);
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    dst.set(src);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return (2 * 4 * n) / (times[3] / 1000) / GB;
}

const TORCH_SCRIPT = `
import json, sys, time, torch
import torch.nn.functional as F
req = json.load(sys.stdin)
torch.manual_seed(0)
out = []
for shape in req["shapes"]:
    x = torch.randn(shape)
    for _ in range(2): F.dropout(x, 0.1, training=True)
    times = []
    for _ in range(req["repeats"]):
        t = time.perf_counter(); F.dropout(x, 0.1, training=True); times.append(time.perf_counter() - t)
    times.sort()
    out.append({"shape": shape, "ms": times[len(times) // 2] * 1000, "threads": torch.get_num_threads()})
print(json.dumps(out))
`;

async function kernelThroughput(): Promise<void> {
  console.log(
    '(c) Profiler kernels: fused dropout p=0.1 (Philox mask + scale, one pass), median time per call after warm-up',
  );
  // Shared machines: every figure below is relative to the others measured in this same run.
  console.log(
    `    load average at start: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${os.cpus().length} cores`,
  );
  const torch = findTorchPython();
  let torchRows: Array<{ shape: number[]; ms: number; threads: number }> = [];
  if (torch.python) torchRows = runPython(torch.python, TORCH_SCRIPT, { shapes: SHAPES, repeats: 7 });
  else console.log(`    PyTorch: skipped: ${torch.reason}`);
  const rows: (string | number)[][] = [];
  const wasmRatios: number[] = [];
  for (const [i, shape] of SHAPES.entries()) {
    const n = elements(shape);
    const copy = memcpyGBs(n);
    rows.push([`[${shape.join(',')}]`, 'memcpy (Float32Array.set)', '-', fmt(copy, 1), '1.00', '', '']);
    const t = torchRows[i];
    const torchGBs = t ? (8 * n) / (t.ms / 1000) / GB : NaN;
    if (t)
      rows.push([
        `[${shape.join(',')}]`,
        `PyTorch ${torch.version} CPU F.dropout (${t.threads} threads)`,
        fmt(t.ms, 2),
        fmt(torchGBs, 2),
        fmt(torchGBs / copy, 2),
        '',
        '',
      ]);
    for (const backend of ['webgpu', 'wasm', 'cpu'] as const) {
      const host = new ProfilerHost({
        backend,
        timeoutMs: 600_000,
        memoryBudgetBytes: 8 * 1024 ** 3,
        workerPath: WORKER,
      });
      try {
        const info = await host.backends();
        if (info.backend !== backend) {
          rows.push([`[${shape.join(',')}]`, backend, 'skipped', '', '', '', info.fallback ?? '']);
          continue;
        }
        // Every repeat asked for runs here (no time budget): this table is about the kernel, not the lens.
        const request: ProfileRequest = {
          kernel: { kind: 'dropout', p: 0.1 },
          shape,
          seed: 1,
          repeats: n > 1e7 ? 3 : 9,
          timingBudgetMs: 600_000,
        };
        const r = await host.profile(request);
        const ratio = r.timing.gbPerSecond / torchGBs;
        if (backend === 'wasm') wasmRatios.push(ratio);
        rows.push([
          `[${shape.join(',')}]`,
          `${backend} (${r.device})${r.fused ? ' fused' : ''}`,
          fmt(r.timing.medianMs, 2),
          fmt(r.timing.gbPerSecond, 2),
          fmt(r.timing.gbPerSecond / copy, 2),
          Number.isFinite(ratio) ? fmt(ratio, 2) : 'n/a',
          '',
        ]);
      } catch (e) {
        rows.push([`[${shape.join(',')}]`, backend, 'failed', '', '', '', (e as Error).message.slice(0, 80)]);
      } finally {
        host.dispose();
      }
    }
  }
  console.log(table(['shape', 'kernel', 'ms/call', 'GB/s', '/ memcpy', '/ PyTorch', 'note'], rows));
  console.log('    cuda: not measured here (@tensorflow/tfjs-node-gpu is not installed; no GPU on this machine)');
  if (wasmRatios.length)
    console.log(
      `    WASM / PyTorch CPU throughput: ${wasmRatios.map((r) => fmt(r, 2)).join(', ')}×   target ≥ 0.50× → ` +
        `${verdict(wasmRatios.every((r) => r >= 0.5))}`,
    );
  philoxPaths();
}

/**
 * The Philox paths of the cpu and wasm backends' fused kernel side by side: the words for one [8,256,768] draw
 * (1.5M units, 393,216 Philox calls), median of 7, in this process.
 */
function philoxPaths(): void {
  const counters = elements(SHAPES[0]) / 4;
  const rows: (string | number)[][] = [];
  let jsMs = NaN;
  for (const p of ['js', 'wasm', 'wasm-simd'] as PhiloxPath[]) {
    usePhiloxPath(p);
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      for (let c = 0; c < counters; c += CHUNK_COUNTERS) philoxWords(c, Math.min(CHUNK_COUNTERS, counters - c), 1, 2);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    if (p === 'js') jsMs = times[3];
    rows.push([p, fmt(times[3], 2), fmt(jsMs / times[3], 1)]);
  }
  const inUse = usePhiloxPath(undefined);
  console.log(
    `    Philox4x32-10 words for one [${SHAPES[0].join(',')}] draw (kernels/philox-wasm.ts; in use: ${inUse})`,
  );
  console.log(table(['path', 'ms', '× js'], rows));
}

async function lensLatency(): Promise<void> {
  console.log('(d) Lens click → result (worker request for one dropout site at [8,256,768], backend auto)');
  const rows: (string | number)[][] = [];
  const host = new ProfilerHost({
    backend: 'auto',
    timeoutMs: 600_000,
    memoryBudgetBytes: 1024 ** 3,
    workerPath: WORKER,
  });
  try {
    const request = (seed: number): ProfileRequest => ({
      kernel: { kind: 'dropout', p: 0.1 },
      shape: [8, 256, 768],
      seed,
    });
    let t = performance.now();
    const cold = await host.profile(request(1));
    const coldMs = performance.now() - t;
    rows.push([
      'cold worker (spawn, backend probe, first kernel)',
      fmt(coldMs, 0),
      '≤ 1500 ms',
      verdict(coldMs <= 1500),
      `${cold.backend} (${cold.device})`,
    ]);
    const warm: number[] = [];
    for (let i = 0; i < 5; i++) {
      t = performance.now();
      await host.profile(request(2 + i));
      warm.push(performance.now() - t);
    }
    warm.sort((a, b) => a - b);
    rows.push([
      'warm worker, median of 5',
      fmt(warm[2], 0),
      '≤ 200 ms',
      verdict(warm[2] <= 200),
      `timed calls per request: ${cold.timing.repeats} of ${cold.timing.plannedRepeats}`,
    ]);
  } finally {
    host.dispose();
  }
  console.log(table(['measure', 'ms', 'target', '', 'backend'], rows));
}

export async function profilerBenchmark(): Promise<void> {
  await kernelThroughput();
  console.log('');
  await lensLatency();
}
