// Runs every test file under test/ with Node's own test runner, after building dist/ (the LSP and CLI tests
// exercise the bundles a user gets), in two stages: the tests (*.test.ts), then the bounded stress run
// (*.stress.ts, test/stress/: fuzzing, fix safety, edit storms, profiler faults; about 4 minutes on 2 cores).
//   npm test                        both stages (what CI runs)
//   npm test -- test/rules          only the files under these paths (either stage)
//   npm run test:stress             the stress stage only (node scripts/test.mjs --stress)
//   npm run test:stress -- --long   the long stress run (10,000 fuzz inputs per suite; REGLENS_STRESS_LONG=1)
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(root);
execFileSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit' });

const flags = new Set(process.argv.slice(2).filter((a) => a.startsWith('-')));
const unknown = [...flags].filter((f) => f !== '--stress' && f !== '--long');
if (unknown.length > 0) {
  console.error(
    `unknown option ${unknown.join(' ')}; use --stress (the stress stage only) or --long (the long stress run)`,
  );
  process.exit(2);
}
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const files = [];
const visit = (dir) => {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) visit(full);
    else if (entry.name.endsWith('.test.ts') || entry.name.endsWith('.stress.ts'))
      files.push(path.relative(root, full));
  }
};
visit('test');
const selected = files
  .sort()
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w.replace(/^\.\//, ''))));
/** Longer than any one file takes (the whole of `npm test` takes about 8 minutes in CI), shorter than a hang. */
const FILE_LIMIT_MS = 8 * 60_000;
const stages = [
  {
    name: 'tests',
    files: flags.has('--stress') || flags.has('--long') ? [] : selected.filter((f) => f.endsWith('.test.ts')),
    env: {},
    limit: [`--test-timeout=${FILE_LIMIT_MS}`],
  },
  {
    name: 'stress',
    files: selected.filter((f) => f.endsWith('.stress.ts')),
    env: flags.has('--long') ? { REGLENS_STRESS_LONG: '1' } : {},
    // The long run's fuzzers take as long as their inputs do.
    limit: flags.has('--long') ? [] : [`--test-timeout=${FILE_LIMIT_MS}`],
  },
].filter((s) => s.files.length > 0);
if (stages.length === 0) {
  console.error(`no test files match ${wanted.join(' ')}`);
  process.exit(2);
}
let status = 0;
for (const stage of stages) {
  if (stages.length > 1) console.log(`\n== ${stage.name}: ${stage.files.length} files ==`);
  const started = Date.now();
  // A file whose process does not end once its tests have (a handle left open) fails after FILE_LIMIT_MS, named,
  // instead of holding the run until CI's own limit: seen once, test/lsp/configuration.test.ts after all 9 passed.
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=2', ...stage.limit, ...stage.files],
    { stdio: 'inherit', env: { ...process.env, ...stage.env } },
  );
  if (stages.length > 1)
    console.log(
      `== ${stage.name}: ${result.status === 0 ? 'passed' : 'FAILED'} in ` +
        `${((Date.now() - started) / 1000).toFixed(0)} s ==`,
    );
  if (result.status !== 0) status = result.status ?? 1;
}
process.exit(status);
