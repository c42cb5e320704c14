// Part (a3): the real `reglens check` (node bin/reglens.js) over the real-code folders of (a2), on the main thread
// (--jobs 1) and on 2 worker threads (and one per core when there are more), side by side in one run: runs in the
// order 1, N, N, 1 so that a change in the machine's load falls on both, the mean of each printed with the ratio,
// and whether the reports are the same bytes. Then where the time goes, on one thread in this process: discovery
// and settings, the index scan, the summaries, the checks, a worker's start-up; and from those costs, what 8 and 16
// workers would take, for machines with more cores than this one.
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { parserLoaded } from '../server/core/document';
import { discover } from '../server/core/files';
import { checkFile, cliIndex, indexRoots } from '../server/cli/check-file';
import type { FromWorker } from '../server/cli/check-protocol';
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
  const r = spawnSync(process.execPath, [BIN, 'check', '--format', 'json', '--jobs', String(jobs), ...roots], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * MB,
    env: { ...process.env, REGLENS_TRACE_CHECK: '1' },
  });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0 && r.status !== 1) throw new Error(`reglens check --jobs ${jobs} exited ${r.status}: ${r.stderr}`);
  const lines = r.stderr.split('\n');
  const trace = lines.find((l) => l.startsWith('trace: ')) ?? '';
  return { seconds, stdout: r.stdout, stderr: lines.filter((l) => l !== trace).join('\n'), trace };
}

/** One thread, in this process: the parts of a check that workers share out, and the slowest single file. */
async function costs(roots: string[]) {
  const t0 = performance.now();
  const resolver = new SettingsResolver({}, null);
  const found = discover(roots, ROOT, { excluded: (a) => resolver.excluded(a) });
  const settings = found.files.map((f) => resolver.forFile(f.absolute));
  const mainMs = performance.now() - t0;
  await parserLoaded();
  const index = cliIndex(indexRoots(roots, ROOT));
  const t1 = performance.now();
  for (const file of found.files) index.update(file.absolute);
  const scanMs = performance.now() - t1;
  let slowestMs = 0;
  const t2 = performance.now();
  for (const [i, file] of found.files.entries()) {
    const selection = settings[i].selection;
    if (!selection) continue;
    const t = performance.now();
    await checkFile(file, {
      selection,
      fix: false,
      unsafe: false,
      workspace: async () => index.scopeFor(file.absolute),
    });
    slowestMs = Math.max(slowestMs, performance.now() - t);
  }
  const { summaries, summaryMs } = index.stats;
  return {
    files: found.files.length,
    mainMs,
    scanMs,
    summaries,
    summaryMs,
    checkMs: performance.now() - t2,
    slowestMs,
  };
}

/** A check worker from spawn to `ready`, and to its parser loaded (a scan of one file). */
function workerStart(): Promise<{ readyMs: number; parserMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let readyMs = 0;
    const worker = new Worker(WORKER, { workerData: { flags: {}, explicit: null, unsafeFixes: false, roots: [] } });
    worker.on('error', reject);
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') {
        readyMs = performance.now() - started;
        worker.postMessage({ type: 'scan', files: [{ id: 0, display: BIN, absolute: BIN }] });
      } else if (m.type === 'scan-done') {
        resolve({ readyMs, parserMs: performance.now() - started });
        void worker.terminate();
      }
    });
  });
}

const summaryShare = (trace: string) => [...trace.matchAll(/in (\d+) ms\)/g)].reduce((n, m) => n + Number(m[1]), 0);

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
  for (const { name, roots } of groups) {
    const rows: (string | number)[][] = [];
    const one: Run[] = [];
    let traceOf2 = '';
    for (const jobs of parallel) {
      const first = runCheck(roots, 1);
      const many = [runCheck(roots, jobs), runCheck(roots, jobs)];
      const last = runCheck(roots, 1);
      one.push(first, last);
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
    console.log(`    ${name}: ${c.files} files`);
    console.log(table(['runs', '1 thread s', 'workers s', 'speed-up', 'same bytes'], rows));
    console.log(`    --jobs 2 ${traceOf2}`);
    // Amdahl over the measured parts: what stays on the main thread (process start, discovery, settings, the
    // report) plus a worker's start-up, then the shared parts divided by W. Summaries: each worker computes those
    // its files import, at best once in all (as with --jobs 2, measured above), at worst all of them in every worker;
    // the slowest single file cannot be divided and may be handed out last.
    const wall1 = one.reduce((s, r) => s + r.seconds, 0) / one.length;
    const shared = (c.scanMs + c.checkMs) / 1000;
    const serial = Math.max(0, wall1 - shared) + start.parserMs / 1000;
    const dup = Math.max(1, summaryShare(traceOf2) / Math.max(1, c.summaryMs));
    const project = (w: number) => {
      const best = serial + (shared + ((dup - 1) * c.summaryMs) / 1000) / w;
      const worst = serial + (shared - c.summaryMs / 1000) / w + c.summaryMs / 1000 + c.slowestMs / 1000;
      return `${fmt(best, 1)}–${fmt(worst, 1)} s (${fmt(wall1 / worst, 1)}–${fmt(wall1 / best, 1)}×)`;
    };
    console.log(
      table(
        ['one thread, in process', 'ms'],
        [
          ['discovery and settings (main thread)', fmt(c.mainMs, 0)],
          [`index scan, every file`, fmt(c.scanMs, 0)],
          [`checks (summaries included: ${c.summaries} files in ${fmt(c.summaryMs, 0)} ms)`, fmt(c.checkMs, 0)],
          ['slowest single check', fmt(c.slowestMs, 0)],
          ['a worker: spawn → ready / → parser loaded', `${fmt(start.readyMs, 0)} / ${fmt(start.parserMs, 0)}`],
          ['main thread and process: --jobs 1 wall − scan − checks', fmt(serial * 1000 - start.parserMs, 0)],
        ],
      ),
    );
    console.log(
      `    projected: 8 workers ${project(8)}, 16 workers ${project(16)} (from ${fmt(wall1, 1)} s on one thread; ` +
        `summaries duplicated ${fmt(dup, 2)}× with 2 workers)`,
    );
  }
}
