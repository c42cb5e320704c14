// Part (a3): the real `reglens check` (node bin/reglens.js) over the real-code folders of (a2), on the main thread
// (--jobs 1) and on 2 worker threads (and one per core when there are more), side by side in one run: runs in the
// order 1, N, N, 1 so that a change in the machine's load falls on both, the mean of each printed with the ratio,
// and whether the reports are the same bytes. Then where the time goes, on one thread in this process: discovery
// and settings, each file's check (the index scans its lookups make included), a worker's start-up and its JIT's
// warm-up; and from those costs,
// the pool's schedule simulated for 2 to 16 workers, for machines with more cores than this one.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { parserLoaded } from '../server/core/document';
import { discover } from '../server/core/files';
import { CheckWorkspace, checkFile, indexRoots } from '../server/cli/check-file';
import { planBatches } from '../server/cli/check-batches';
import type { CheckWorkerData, FromWorker } from '../server/cli/check-protocol';
import { SettingsResolver } from '../server/cli/settings';
import { realCodeRoots } from './real-code';
import { fmt, table } from './table';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'reglens.js');
const WORKER = path.join(ROOT, 'dist', 'check-worker.js');
const MB = 1024 * 1024;

interface Run {
  seconds: number;
  stdout: string;
  /** Without the trace line. */
  stderr: string;
  trace: string;
}

function runCheck(roots: string[], jobs: number): Run {
  const started = performance.now();
  const r = spawnSync(
    process.execPath,
    [BIN, 'check', '--no-cache', '--format', 'json', '--jobs', String(jobs), ...roots],
    {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * MB,
      env: { ...process.env, REGLENS_TRACE_CHECK: '1' },
    },
  );
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0 && r.status !== 1) throw new Error(`reglens check --jobs ${jobs} exited ${r.status}: ${r.stderr}`);
  const lines = r.stderr.split('\n');
  const trace = lines.find((l) => l.startsWith('trace: ')) ?? '';
  return { seconds, stdout: r.stdout, stderr: lines.filter((l) => l !== trace).join('\n'), trace };
}

interface FileCost {
  bytes: number;
  /** Undefined: not checked (its pyproject.toml is invalid). */
  checkMs?: number;
}

/**
 * How much of a second core this machine gives now (it may be shared): one --jobs 1 check alone, then two at once.
 * 2.0 means two full cores; the speed-up of 2 workers cannot exceed it.
 */
async function twoCoreCapacity(roots: string[]): Promise<number> {
  const alone = runCheck(roots, 1).seconds;
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'check', '--no-cache', '--format', 'json', '--jobs', '1', ...roots], {
        cwd: ROOT,
        stdio: 'ignore',
      });
      child.on('error', reject);
      child.on('exit', () => resolve());
    });
  const started = performance.now();
  await Promise.all([once(), once()]);
  return (2 * alone) / ((performance.now() - started) / 1000);
}

/**
 * One thread, in this process: each file's check, with the index scans and summaries its lookups need first (as
 * `reglens check` does, every file found is in the index by name and scanned when a lookup reaches it).
 */
async function costs(roots: string[]) {
  const t0 = performance.now();
  const resolver = new SettingsResolver({}, null);
  const found = discover(roots, ROOT, { excluded: (a) => resolver.excluded(a) });
  const settings = found.files.map((f) => resolver.forFile(f.absolute));
  const mainMs = performance.now() - t0;
  await parserLoaded();
  const t1 = performance.now();
  const index = new CheckWorkspace(
    () => indexRoots(roots, ROOT),
    found.files.map((f) => f.absolute),
  );
  index.build();
  const indexMs = performance.now() - t1;
  const files: FileCost[] = found.files.map((file) => ({ bytes: fs.statSync(file.absolute).size }));
  for (const [i, file] of found.files.entries()) {
    const selection = settings[i].selection;
    if (!selection) continue;
    const t = performance.now();
    await checkFile(file, {
      selection,
      fix: false,
      unsafe: false,
      workspace: index,
    });
    files[i].checkMs = performance.now() - t;
  }
  return { mainMs, indexMs, files, ...index.stats };
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * check-pool.ts on W workers, from measured per-file costs: every worker starts, then checks batches, each batch
 * going to the first worker that is free. Milliseconds from the first spawn to the last check. Index scans and
 * summaries are counted once, where the one-thread run made them; workers that need the same ones each make them
 * (the trace counts them).
 */
function simulate(files: readonly FileCost[], workers: number, startMs: number): number {
  if (workers === 1) startMs = 0;
  const phase = (cost: (f: FileCost) => number, from: number, which: readonly FileCost[]) => {
    const free = new Array<number>(workers).fill(from);
    for (const batch of planBatches(which, workers)) {
      const w = free.indexOf(Math.min(...free));
      free[w] += sum(batch.map(cost));
    }
    return Math.max(...free);
  };
  return phase(
    (f) => f.checkMs!,
    startMs,
    files.filter((f) => f.checkMs !== undefined),
  );
}

/** `reglens --version`: starting node and loading the CLI bundle. */
function timedVersion(): number {
  const started = performance.now();
  spawnSync(process.execPath, [BIN, '--version']);
  return performance.now() - started;
}

/** A check worker from spawn to `ready`, and to its parser loaded (a check of one small model file). */
function workerStart(): Promise<{ readyMs: number; parserMs: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-worker-start-'));
  const file = path.join(dir, 'tiny.py');
  fs.writeFileSync(file, 'import torch\n\ndrop = torch.nn.Dropout(0.1)\n');
  const data: CheckWorkerData = {
    flags: {},
    explicit: null,
    unsafeFixes: false,
    excerpts: false,
    diff: false,
    cached: false,
    roots: [dir],
    indexFiles: [file],
  };
  return new Promise<{ readyMs: number; parserMs: number }>((resolve, reject) => {
    const started = performance.now();
    let readyMs = 0;
    const worker = new Worker(WORKER, { workerData: data });
    worker.on('error', reject);
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') {
        readyMs = performance.now() - started;
        worker.postMessage({ type: 'check', files: [{ id: 0, display: file, absolute: file, bytes: 0 }] });
      } else if (m.type === 'check-done') {
        resolve({ readyMs, parserMs: performance.now() - started });
        void worker.terminate();
      }
    });
  }).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
}

/**
 * What a fresh thread's cold JIT costs: one repository checked in a fresh process, and in a process that checked
 * another first (not the same files, whose class summaries the engine's text memos would keep). Every worker pays it.
 */
function jitWarmUpMs(): number | null {
  const corpus = path.join(ROOT, '..', 'shared', 'corpus');
  const [warm, target] = ['facebookresearch__dinov2', 'Lightning-AI__litgpt'].map((r) => path.join(corpus, r));
  if (!fs.existsSync(warm) || !fs.existsSync(target)) return null;
  const timed = (first: string) => {
    const args = ['--import', 'tsx', __filename, '--child-jit', first, target];
    const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`jit warm-up child failed: ${r.stderr}`);
    return Number(r.stdout);
  };
  return timed('-') - timed(warm);
}

/** In the child: check `first` (unless `-`) to warm the JIT, then print how long `target` takes. */
async function childJit(first: string, target: string): Promise<void> {
  await parserLoaded();
  if (first !== '-') await costs([first]);
  const t = performance.now();
  await costs([target]);
  process.stdout.write(String(performance.now() - t));
}

/** Files the workers of a traced run summarized, all together. */
const summarized = (trace: string) => sum([...trace.matchAll(/\((\d+) summarized/g)].map((m) => Number(m[1])));

export async function checkJobsBenchmark(): Promise<void> {
  const cores = os.availableParallelism();
  console.log(
    `(a3) reglens check on worker threads: the real CLI over the real-code folders, --jobs 1 beside --jobs 2` +
      `${cores > 2 ? ` and --jobs ${cores}` : ''} (${cores} cores here); runs in the order 1, N, N, 1`,
  );
  const all = realCodeRoots();
  const groups = [
    { name: 'shared corpus', roots: all.filter((r) => !r.includes('.cache')) },
    { name: 'Debian torch, torchvision, torchaudio', roots: all.filter((r) => r.includes('.cache')) },
  ].filter((g) => g.roots.length > 0);
  if (groups.length === 0) {
    console.log('    skipped: neither ../shared/corpus nor the Debian torch sources (.cache/real-code) are here');
    return;
  }
  const parallel = [...new Set([2, cores])];
  const start = await workerStart();
  const jitMs = jitWarmUpMs();
  const startMs = Math.min(...[1, 2, 3].map(() => timedVersion()));
  const sample =
    groups[0].roots.length > 1 ? groups[0].roots : [path.join(groups[0].roots[0], 'huggingface__diffusers')];
  console.log(
    `    two --jobs 1 checks of ${sample.map((r) => path.basename(r)).join(', ')} at once against one alone: this ` +
      `machine gives ${fmt(await twoCoreCapacity(sample))} cores' worth of work now (2.00 when nothing else runs)`,
  );
  for (const { name, roots } of groups) {
    const rows: (string | number)[][] = [];
    let traceOf2 = '';
    for (const jobs of parallel) {
      const first = runCheck(roots, 1);
      const many = [runCheck(roots, jobs), runCheck(roots, jobs)];
      const last = runCheck(roots, 1);
      const mean = (runs: Run[]) => runs.reduce((s, r) => s + r.seconds, 0) / runs.length;
      const same =
        many.every((r) => r.stdout === first.stdout && r.stderr === first.stderr) && last.stdout === first.stdout;
      rows.push([
        `--jobs 1 / --jobs ${jobs}`,
        fmt(mean([first, last])),
        fmt(mean(many)),
        `${fmt(mean([first, last]) / mean(many))}×`,
        same ? 'yes' : 'NO',
      ]);
      if (jobs === 2) traceOf2 = many[1].trace;
    }
    const c = await costs(roots);
    const checks = c.files.flatMap((f) => (f.checkMs === undefined ? [] : [f.checkMs]));
    console.log(`    ${name}: ${c.files.length} files`);
    console.log(table(['runs', '1 thread s', 'workers s', 'speed-up', 'same bytes'], rows));
    console.log(`    --jobs 2 ${traceOf2}`);
    // What stays on the main thread whatever the number of workers: the process's start (`reglens --version`),
    // discovery and settings. All from this run's own measurements, not from the CLI runs above, which another load
    // on the machine may have slowed differently.
    const serialMs = startMs + c.mainMs;
    const projected = (w: number) => serialMs + simulate(c.files, w, start.parserMs + (jitMs ?? 0));
    console.log(
      table(
        ['one thread, in process', 'ms'],
        [
          ['discovery and settings', fmt(c.mainMs, 0)],
          ['the index: every file by name', fmt(c.indexMs, 0)],
          [
            `checks (included: ${c.scanned} files scanned for the index, ${c.summaries} summarized in ` +
              `${fmt(c.summaryMs, 0)} ms)`,
            fmt(sum(checks), 0),
          ],
          ['slowest single check', fmt(Math.max(...checks), 0)],
          ['a worker: spawn → ready / → parser loaded', `${fmt(start.readyMs, 0)} / ${fmt(start.parserMs, 0)}`],
          ['a worker: its JIT warming up (litgpt cold − after dinov2)', jitMs === null ? '-' : fmt(jitMs, 0)],
          ['the process: node and the CLI bundle (`reglens --version`)', fmt(startMs, 0)],
        ],
      ),
    );
    console.log(
      `    simulated from these costs: 1 thread ${fmt(projected(1) / 1000, 1)} s; ` +
        [2, 4, 8, 16]
          .map((w) => `${w} workers ${fmt(projected(w) / 1000, 1)} s (${fmt(projected(1) / projected(w), 1)}×)`)
          .join(', ') +
        `; summaries computed with 2 workers: ${summarized(traceOf2)} (${c.summaries} on one thread)`,
    );
  }
}

if (process.argv[2] === '--child-jit') {
  childJit(process.argv[3], process.argv[4]).catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
