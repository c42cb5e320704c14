// Runs every test file under test/ with Node's own test runner, after building dist/ (the LSP and CLI tests
// exercise the bundles a user gets). Extra arguments narrow the run: `npm test -- test/rules`.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(root);
execFileSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit' });

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const files = [];
const visit = (dir) => {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) visit(full);
    else if (entry.name.endsWith('.test.ts')) files.push(path.relative(root, full));
  }
};
visit('test');
const selected = files.sort().filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w.replace(/^\.\//, ''))));
if (selected.length === 0) {
  console.error(`no test files match ${wanted.join(' ')}`);
  process.exit(2);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...selected], { stdio: 'inherit' });
process.exit(result.status ?? 1);
