// Part (a2): lint throughput on real model code, where every file mentions torch and the prefilter skips little:
// ../shared/corpus (public model repositories) and the Debian PyTorch, torchvision and torchaudio sources. Each tool
// runs in a child process of its own over the same files in memory, so each one's peak memory is its own; two
// rounds each, the second (warm) reported.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fmt, table } from './table';
import { type Corpus, type Measurement, throughputRunners } from './lint-throughput';

const ROOT = path.resolve(__dirname, '..');
const MB = 1024 * 1024;

/** The folders of real model code present on this machine. */
export function realCodeRoots(): string[] {
  const debian = path.join(ROOT, '.cache', 'real-code', 'root', 'usr', 'lib', 'python3', 'dist-packages');
  return [
    path.join(ROOT, '..', 'shared', 'corpus'),
    ...['torch', 'torchvision', 'torchaudio'].map((p) => path.join(debian, p)),
  ].filter((p) => fs.existsSync(p));
}

export function loadTree(roots: readonly string[]): Corpus {
  const files: Corpus['files'] = [];
  let bytes = 0;
  const visit = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) visit(full);
      else if (e.isFile() && e.name.endsWith('.py')) {
        const buffer = fs.readFileSync(full);
        bytes += buffer.length;
        files.push({ path: full, text: buffer.toString('utf8') });
      }
    }
  };
  roots.forEach(visit);
  return { roots: [...roots], files, bytes };
}

interface ChildResult {
  cold: Measurement;
  warm: Measurement;
  maxRssMB: number;
}

/** In the child: load, run the tool twice, print the measurements and this process's peak RSS. */
async function child(tool: 'reglens' | 'ruff', roots: string[]): Promise<void> {
  const corpus = loadTree(roots);
  const run = (await throughputRunners())[tool];
  const cold = run(corpus);
  const warm = run(corpus);
  const result: ChildResult = { cold, warm, maxRssMB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(JSON.stringify(result));
}

export async function realCodeBenchmark(): Promise<void> {
  console.log('(a2) Lint throughput on real model code: every *.py file, in memory, one child process per tool');
  const roots = realCodeRoots();
  if (roots.length === 0) {
    console.log('    skipped: neither ../shared/corpus nor the Debian torch sources (.cache/real-code) are here');
    return;
  }
  const corpus = loadTree(roots);
  console.log(
    `    corpus: ${roots.map((r) => path.relative(ROOT, r)).join(', ')}: ${corpus.files.length} files, ` +
      `${fmt(corpus.bytes / MB)} MB`,
  );
  const results: Record<string, ChildResult> = {};
  for (const tool of ['reglens', 'ruff'] as const) {
    const out = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', tool, ...roots], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 16 * MB,
    });
    if (out.status !== 0) {
      console.log(`    ${tool} failed: ${out.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      return;
    }
    results[tool] = JSON.parse(out.stdout);
  }
  const mbs = (m: Measurement) => corpus.bytes / MB / m.seconds;
  const rows = Object.values(results).map(({ cold, warm, maxRssMB }) => [
    warm.label,
    warm.parsed,
    fmt(cold.seconds, 2),
    fmt(warm.seconds, 2),
    fmt(mbs(warm), 2),
    fmt(maxRssMB, 0),
    warm.findings,
    warm.failures,
  ]);
  console.log(table(['tool', 'parsed', 'cold s', 'warm s', 'MB/s (warm)', 'peak RSS MB', 'findings', 'errors'], rows));
  const ratio = mbs(results.reglens.warm) / mbs(results.ruff.warm);
  console.log(
    `    Reglens / Ruff-wasm throughput on real model code: ${fmt(ratio)}×   target: ≥ 1.00× → ` +
      `${ratio >= 1 ? 'met' : 'MISSED'}`,
  );
}

if (process.argv[2] === '--child') {
  child(process.argv[3] as 'reglens' | 'ruff', process.argv.slice(4)).catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
