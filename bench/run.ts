// `npm run bench`: builds dist/ first, then measures
//   (a) lint throughput on CPython's standard library: Reglens (as `reglens check` runs it) against Ruff's wasm
//       build, in the same process on the same in-memory files, plus Reglens with the prefilter off;
//   (b) edit → published diagnostics through the language server on a 5,000-line model file, and start-up time;
//   (c) profiler kernel throughput per backend next to memcpy and PyTorch CPU, (d) lens latency (bench/profiler.ts);
//   (e) interpreted hand-written regularizers vs the fixed kernel of the same semantics (bench/interpreter.ts).
// Prints tables with the targets beside the figures; asserts nothing.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadStdlib, throughputRunners, type Measurement } from './lint-throughput';
import { measureLsp, percentile } from './lsp-latency';
import { interpreterBenchmark } from './interpreter';
import { profilerBenchmark } from './profiler';
import { fmt, table } from './table';

const ROOT = path.resolve(__dirname, '..');
const SERVER_JS = path.join(ROOT, 'dist', 'server.js');
const MB = 1024 * 1024;

const TARGETS = {
  throughput: 'Reglens ≥ Ruff-wasm throughput',
  medianMs: 5,
  p95Ms: 15,
  startMs: 300,
};

const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

async function lintBenchmark(): Promise<void> {
  console.log('(a) Lint throughput: CPython standard library, all *.py files, in memory');
  const corpus = loadStdlib();
  if (corpus.files.length === 0) {
    console.log('    skipped: no /usr/lib/python3.*/ folder with *.py files on this machine');
    return;
  }
  console.log(`    corpus: ${corpus.roots.join(', ')}: ${corpus.files.length} files, ${fmt(corpus.bytes / MB)} MB`);
  const run = await throughputRunners();
  // Two rounds, the second in the opposite order; the second (warm: JIT, wasm tiers, caches) is reported.
  const order = ['reglens', 'ruff', 'raw'] as const;
  const rounds: Record<string, Measurement>[] = [{}, {}];
  for (const name of order) rounds[0][name] = run[name](corpus);
  for (const name of [...order].reverse()) rounds[1][name] = run[name](corpus);
  const warm = rounds[1];
  const mbs = (m: Measurement) => corpus.bytes / MB / m.seconds;
  const rows = order.map((name) => {
    const m = warm[name];
    return [m.label, corpus.files.length, m.parsed, fmt(corpus.bytes / MB), fmt(rounds[0][name].seconds, 3), fmt(m.seconds, 3), fmt(mbs(m), 1), m.findings, m.failures];
  });
  console.log(table(['tool', 'files', 'parsed', 'MB', 'cold s', 'warm s', 'MB/s (warm)', 'findings', 'errors'], rows));
  const ratio = mbs(warm.reglens) / mbs(warm.ruff);
  const rawRatio = mbs(warm.raw) / mbs(warm.ruff);
  console.log(`    Reglens / Ruff-wasm throughput: ${fmt(ratio)}×   target: ${TARGETS.throughput} (≥ 1.00×) → ${verdict(ratio >= 1)}`);
  console.log(`    Reglens without prefilter / Ruff-wasm: ${fmt(rawRatio)}× (for reference: the cost of parsing every file)`);
}

async function lspBenchmark(): Promise<void> {
  console.log('(b) Language server: edit → published diagnostics, 5,000-line model file, 200 incremental edits');
  if (!fs.existsSync(SERVER_JS)) {
    console.log(`    skipped: ${path.relative(ROOT, SERVER_JS)} is not built (server/lsp/main.ts not written yet?)`);
    return;
  }
  let result;
  try {
    result = await measureLsp(SERVER_JS, { lines: 5000, edits: 200 });
  } catch (e) {
    console.log(`    skipped: the language server did not answer as expected: ${(e as Error).message}`);
    return;
  }
  const sorted = [...result.editMs].sort((a, b) => a - b);
  const median = percentile(sorted, 50);
  const p95 = percentile(sorted, 95);
  console.log(`    file: ${result.lines} lines, ${result.classes} classes, ${result.initialDiagnostics} diagnostics on open; sync: ${result.syncKind}`);
  console.log(
    table(
      ['measure', 'ms', 'target', ''],
      [
        ['server start (spawn) → first diagnostics', fmt(result.startMs, 1), `≤ ${TARGETS.startMs} ms`, verdict(result.startMs <= TARGETS.startMs)],
        [`edit → diagnostics, median (n=${sorted.length})`, fmt(median), `≤ ${TARGETS.medianMs} ms`, verdict(median <= TARGETS.medianMs)],
        ['edit → diagnostics, p95', fmt(p95), `≤ ${TARGETS.p95Ms} ms`, verdict(p95 <= TARGETS.p95Ms)],
        ['edit → diagnostics, min / max', `${fmt(sorted[0] ?? NaN)} / ${fmt(sorted[sorted.length - 1] ?? NaN)}`, '', ''],
      ],
    ),
  );
  if (result.timeouts > 0) console.log(`    note: the server published no diagnostics for an edit within 10 s; stopped after ${sorted.length} edits`);
}

async function main(): Promise<void> {
  console.log(`Reglens benchmark — node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} (${os.cpus().length} cores), ${os.platform()} ${os.arch()}`);
  console.log('');
  // `npm run bench -- profiler` runs only (c), (d) and (e); `npm run bench -- lint` only (a) and (b);
  // `npm run bench -- interpreter` only (e).
  if (process.argv.includes('interpreter')) {
    await interpreterBenchmark();
    return;
  }
  if (!process.argv.includes('profiler')) {
    await lintBenchmark();
    console.log('');
    await lspBenchmark();
    console.log('');
  }
  if (!process.argv.includes('lint')) {
    await profilerBenchmark();
    console.log('');
    await interpreterBenchmark();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
