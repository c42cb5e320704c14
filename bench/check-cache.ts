// Part (a4): `reglens check` with its cache (server/cli/check-cache.ts) over the real-code folders of (a2): without
// the cache, the first run with an empty cache (which checks every file and writes the cache), and the runs after it
// (which reuse every file), side by side in one run, in the order none, first, warm, warm, none, so that a change
// in the machine's load falls on all; each report must be the same bytes. Then `--diff` (which takes from the cache
// only the files it would not change, as --fix does, and writes nothing to the read-only corpora) with and without
// the warm cache, the same patch both times, each against the plain check without the cache.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { realCodeRoots } from './real-code';
import { fmt, table } from './table';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'reglens.js');

function run(roots: string[], options: string[]): { seconds: number; stdout: string; reused: string } {
  const started = performance.now();
  const format = options.includes('--diff') ? [] : ['--format', 'json'];
  const r = spawnSync(process.execPath, [BIN, 'check', ...options, ...format, '--exit-zero', ...roots], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, REGLENS_TRACE_CHECK: '1' },
  });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`reglens check failed (${r.status}): ${r.stderr.slice(-500)}`);
  return { seconds, stdout: r.stdout, reused: /^cache: (.*)$/m.exec(r.stderr)?.[1] ?? 'no cache' };
}

export async function checkCacheBenchmark(): Promise<void> {
  console.log('(a4) reglens check with its cache (.reglens_cache) on real model code, the same files each run');
  const roots = realCodeRoots();
  if (roots.length === 0) {
    console.log('    skipped: neither ../shared/corpus nor the Debian torch sources (.cache/real-code) are here');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-bench-cache-'));
  const cache = ['--cache-dir', dir];
  try {
    const none1 = run(roots, ['--no-cache']);
    const first = run(roots, cache);
    const warm1 = run(roots, cache);
    const warm2 = run(roots, cache);
    const none2 = run(roots, ['--no-cache']);
    const diffNone = run(roots, ['--diff', '--no-cache']);
    const diffWarm = run(roots, ['--diff', ...cache]);
    const none = (none1.seconds + none2.seconds) / 2;
    const warm = (warm1.seconds + warm2.seconds) / 2;
    const same = [first, warm1, warm2, none2].every((r) => r.stdout === none1.stdout);
    const bytes = fs.statSync(path.join(dir, 'check.json')).size;
    console.log(
      table(
        ['run', 's', 'files reused', 'vs no cache'],
        [
          ['no cache (mean of 2)', fmt(none, 2), '-', '1.00×'],
          ['first, empty cache', fmt(first.seconds, 2), first.reused, `${fmt(none / first.seconds)}×`],
          ['warm (mean of 2)', fmt(warm, 2), warm1.reused, `${fmt(none / warm)}×`],
          ['--diff, no cache', fmt(diffNone.seconds, 2), '-', `${fmt(none / diffNone.seconds)}×`],
          ['--diff, warm cache', fmt(diffWarm.seconds, 2), diffWarm.reused, `${fmt(none / diffWarm.seconds)}×`],
        ],
      ),
    );
    console.log(
      `    reports the same bytes in every run: ${same ? 'yes' : 'NO'}; the same patch with --diff: ` +
        `${diffWarm.stdout === diffNone.stdout ? 'yes' : 'NO'}; cache file ${fmt(bytes / 1024, 0)} KB`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
