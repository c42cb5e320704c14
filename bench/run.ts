// `npm run bench`: builds dist/ first, then measures
//   (a) lint throughput on CPython's standard library, the prefilter's case (no file mentions torch): Reglens (as
//       `reglens check` runs it) against Ruff's wasm build, in the same process on the same in-memory files, plus
//       Reglens with the prefilter off; (a2) the same on real model code (../shared/corpus and the Debian torch
//       sources), each tool in a child process with its peak memory (bench/real-code.ts); (a3) the real
//       `reglens check` on the same folders, --jobs 1 beside --jobs 2, and where its time goes (bench/check-jobs.ts);
//       (a4) `reglens check` there without its cache, with an empty one and with a warm one (bench/check-cache.ts);
//   (b) edit → published diagnostics through the language server on a 5,000-line model file, and start-up time;
//   (c) profiler kernel throughput per backend next to memcpy and PyTorch CPU, (d) lens latency (bench/profiler.ts);
// (e) the workspace index of the PyTorch + torchvision sources through the language server (bench/workspace-index.ts);
//   (f) a 50-cell notebook re-analysed after a one-cell edit, beside the same code as one file (bench/notebook.ts);
//   (g) interpreted hand-written regularizers vs the fixed kernel of the same semantics (bench/interpreter.ts);
//   (h) fix-all on one file with 100 to 800 fixes (bench/fix-scale.ts);
//   (ab), only when asked: this working tree's engine against a git revision's, taking turns in one process
//   (bench/revision-ab.ts), to measure a change where separate runs differ by more than it is worth.
// Prints tables with the targets beside the figures; asserts nothing.
import { checkCacheBenchmark } from './check-cache';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadStdlib, throughputRunners, type Measurement } from './lint-throughput';
import { measureLsp, percentile } from './lsp-latency';
import { fixScaleBenchmark } from './fix-scale';
import { interpreterBenchmark } from './interpreter';
import { measureNotebook } from './notebook';
import { profilerBenchmark } from './profiler';
import { measureWorkspaceIndex } from './workspace-index';
import { realCodeBenchmark } from './real-code';
import { checkJobsBenchmark } from './check-jobs';
import { revisionBenchmark } from './revision-ab';
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
  console.log('(a) Lint throughput: CPython standard library, all *.py files, in memory (the prefilter case)');
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
    return [
      m.label,
      corpus.files.length,
      m.parsed,
      fmt(corpus.bytes / MB),
      fmt(rounds[0][name].seconds, 3),
      fmt(m.seconds, 3),
      fmt(mbs(m), 1),
      m.findings,
      m.failures,
    ];
  });
  console.log(table(['tool', 'files', 'parsed', 'MB', 'cold s', 'warm s', 'MB/s (warm)', 'findings', 'errors'], rows));
  const ratio = mbs(warm.reglens) / mbs(warm.ruff);
  const rawRatio = mbs(warm.raw) / mbs(warm.ruff);
  console.log(
    `    Reglens / Ruff-wasm throughput: ${fmt(ratio)}×   target: ${TARGETS.throughput} (≥ 1.00×) → ` +
      `${verdict(ratio >= 1)}`,
  );
  console.log(
    `    Reglens without prefilter / Ruff-wasm: ${fmt(rawRatio)}× (for reference: the cost of parsing every file)`,
  );
}

async function lspBenchmark(): Promise<void> {
  console.log('(b) Language server: edit → published diagnostics, 5,000-line model file, 200 incremental edits');
  if (!fs.existsSync(SERVER_JS)) {
    console.log(`    skipped: ${path.relative(ROOT, SERVER_JS)} is not built (server/lsp/main.ts not written yet?)`);
    return;
  }
  let result: Awaited<ReturnType<typeof measureLsp>>;
  try {
    result = await measureLsp(SERVER_JS, { lines: 5000, edits: 200 });
  } catch (e) {
    console.log(`    skipped: the language server did not answer as expected: ${(e as Error).message}`);
    return;
  }
  const sorted = [...result.editMs].sort((a, b) => a - b);
  const median = percentile(sorted, 50);
  const p95 = percentile(sorted, 95);
  console.log(
    `    file: ${result.lines} lines, ${result.classes} classes, ${result.initialDiagnostics} diagnostics on open; ` +
      `sync: ${result.syncKind}`,
  );
  console.log(
    table(
      ['measure', 'ms', 'target', ''],
      [
        [
          'server start (spawn) → first diagnostics',
          fmt(result.startMs, 1),
          `≤ ${TARGETS.startMs} ms`,
          verdict(result.startMs <= TARGETS.startMs),
        ],
        [
          `edit → diagnostics, median (n=${sorted.length})`,
          fmt(median),
          `≤ ${TARGETS.medianMs} ms`,
          verdict(median <= TARGETS.medianMs),
        ],
        ['edit → diagnostics, p95', fmt(p95), `≤ ${TARGETS.p95Ms} ms`, verdict(p95 <= TARGETS.p95Ms)],
        [
          'edit → diagnostics, min / max',
          `${fmt(sorted[0] ?? NaN)} / ${fmt(sorted[sorted.length - 1] ?? NaN)}`,
          '',
          '',
        ],
        ...(
          [
            ['a line typed, per keystroke', result.typingMs.other],
            ['  … inside an unclosed bracket', result.typingMs.openBracket],
          ] as const
        ).map(([label, ms]) => {
          const keys = [...ms].sort((a, b) => a - b);
          return [
            `${label}, median / p95 (n=${keys.length})`,
            `${fmt(percentile(keys, 50))} / ${fmt(percentile(keys, 95))}`,
            '',
            '',
          ];
        }),
      ],
    ),
  );
  if (result.timeouts > 0)
    console.log(
      `    note: the server published no diagnostics for an edit within 10 s; stopped after ${sorted.length} edits`,
    );
}

const WORKSPACE_TARGETS = { rssMB: 200, updateMs: 20 };

async function workspaceBenchmark(): Promise<void> {
  console.log(
    '(e) Workspace index: PyTorch + torchvision sources (Debian python3-torch, python3-torchvision), through the ' +
      'language server',
  );
  if (!fs.existsSync(SERVER_JS)) {
    console.log(`    skipped: ${path.relative(ROOT, SERVER_JS)} is not built`);
    return;
  }
  let r: Awaited<ReturnType<typeof measureWorkspaceIndex>>;
  try {
    r = await measureWorkspaceIndex(SERVER_JS);
  } catch (e) {
    console.log(`    skipped: ${(e as Error).message}`);
    return;
  }
  const update = [...r.updateToDiagnosticsMs].sort((a, b) => a - b);
  const engine = [...r.engineUpdateMs].sort((a, b) => a - b);
  const roundTrip = [...r.updateRoundTripMs].sort((a, b) => a - b);
  const inServer = [...r.serverUpdateMs].sort((a, b) => a - b);
  console.log(`    corpus: ${r.folder}: ${r.files} files, ${fmt(r.megabytes)} MB`);
  console.log(
    table(
      ['measure', 'figure', 'target', ''],
      [
        ['initialized → complete index (server)', `${fmt(r.indexMs / 1000, 2)} s`, '', ''],
        [
          'server RSS after the index',
          `${fmt(r.rssAfterIndexMB, 1)} MB`,
          `≤ ${WORKSPACE_TARGETS.rssMB} MB`,
          verdict(r.rssAfterIndexMB <= WORKSPACE_TARGETS.rssMB),
        ],
        [
          'server RSS after opening vision_transformer.py',
          `${fmt(r.rssAfterOpenMB, 1)} MB`,
          `≤ ${WORKSPACE_TARGETS.rssMB} MB`,
          verdict(r.rssAfterOpenMB <= WORKSPACE_TARGETS.rssMB),
        ],
        [
          `one file's index update, engine, median (n=${engine.length})`,
          `${fmt(percentile(engine, 50))} ms`,
          `≤ ${WORKSPACE_TARGETS.updateMs} ms`,
          verdict(percentile(engine, 50) <= WORKSPACE_TARGETS.updateMs),
        ],
        [
          "one file's index update, engine, p95 / max",
          `${fmt(percentile(engine, 95))} / ${fmt(engine[engine.length - 1])} ms`,
          '',
          '',
        ],
        [
          `ops/misc.py changed: index update in the server, median (n=${inServer.length})`,
          `${fmt(percentile(inServer, 50))} ms`,
          `≤ ${WORKSPACE_TARGETS.updateMs} ms`,
          verdict(percentile(inServer, 50) <= WORKSPACE_TARGETS.updateMs),
        ],
        ['same, p95 / max', `${fmt(percentile(inServer, 95))} / ${fmt(inServer[inServer.length - 1])} ms`, '', ''],
        [
          `ops/misc.py changed: event → answer to the next request (round trip), median`,
          `${fmt(percentile(roundTrip, 50))} ms`,
          '',
          '',
        ],
        [
          `ops/misc.py changed: event → vision_transformer.py re-analysed and re-published, median`,
          `${fmt(percentile(update, 50))} ms`,
          '',
          '',
        ],
        ['same, p95 / max', `${fmt(percentile(update, 95))} / ${fmt(update[update.length - 1])} ms`, '', ''],
      ],
    ),
  );
}

async function notebookBenchmark(): Promise<void> {
  console.log(
    '(f) Notebook: one-cell edit → its diagnostics published, 50 cells, beside the same edit to the same code as ' +
      'one .py file',
  );
  if (!fs.existsSync(SERVER_JS)) {
    console.log(`    skipped: ${path.relative(ROOT, SERVER_JS)} is not built`);
    return;
  }
  const result = await measureNotebook(SERVER_JS, { cells: 50, edits: 200 });
  const notebook = [...result.notebookMs].sort((a, b) => a - b);
  const file = [...result.fileMs].sort((a, b) => a - b);
  console.log(
    `    notebook: ${result.cells} code cells, ${result.lines} lines joined; ${notebook.length} edits, alternating ` +
      `with the same edit to the file`,
  );
  console.log(
    table(
      ['measure', 'notebook ms', 'file ms', 'notebook / file'],
      [
        [
          'edit → diagnostics, median',
          fmt(percentile(notebook, 50)),
          fmt(percentile(file, 50)),
          fmt(percentile(notebook, 50) / percentile(file, 50)),
        ],
        [
          'edit → diagnostics, p95',
          fmt(percentile(notebook, 95)),
          fmt(percentile(file, 95)),
          fmt(percentile(notebook, 95) / percentile(file, 95)),
        ],
      ],
    ),
  );
}

async function main(): Promise<void> {
  console.log(
    `Reglens benchmark — node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} (${os.cpus().length} ` +
      `cores), ${os.platform()} ${os.arch()}`,
  );
  console.log('');
  // `npm run bench -- profiler` runs only (c), (d) and (g); `-- lint` only (a) and (b); `-- workspace` only (e);
  // `-- notebook` only (f); `-- interpreter` only (g); `-- fix` only (h); `-- real-code` only (a2), (a3) and (a4);
  // `-- jobs` only (a3); `-- cache` only (a4); `-- lsp` only the language server's latency; `-- ab [REV]` only this
  // tree against REV.
  const ab = process.argv.indexOf('ab');
  if (ab >= 0) {
    await revisionBenchmark(process.argv[ab + 1] ?? 'HEAD');
    return;
  }
  if (process.argv.includes('lsp')) {
    await lspBenchmark();
    return;
  }
  if (process.argv.includes('jobs')) {
    await checkJobsBenchmark();
    return;
  }
  if (process.argv.includes('cache')) {
    await checkCacheBenchmark();
    return;
  }
  if (process.argv.includes('fix')) {
    await fixScaleBenchmark();
    return;
  }
  if (process.argv.includes('workspace')) {
    await workspaceBenchmark();
    return;
  }
  if (process.argv.includes('notebook')) {
    await notebookBenchmark();
    return;
  }
  if (process.argv.includes('interpreter')) {
    await interpreterBenchmark();
    return;
  }
  if (process.argv.includes('real-code')) {
    await realCodeBenchmark();
    console.log('');
    await checkJobsBenchmark();
    console.log('');
    await checkCacheBenchmark();
    return;
  }
  if (!process.argv.includes('profiler')) {
    await lintBenchmark();
    console.log('');
    await realCodeBenchmark();
    console.log('');
    await checkJobsBenchmark();
    console.log('');
    await checkCacheBenchmark();
    console.log('');
    await lspBenchmark();
    console.log('');
    await fixScaleBenchmark();
    console.log('');
  }
  if (!process.argv.includes('lint')) {
    await profilerBenchmark();
    console.log('');
    await interpreterBenchmark();
  }
  if (!process.argv.includes('profiler') && !process.argv.includes('lint')) {
    console.log('');
    await workspaceBenchmark();
    console.log('');
    await notebookBenchmark();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
