// The check cache under random edits of a project whose files import each other: after every round of edits (a line
// deleted or repeated, a file removed, moved back and forth or restored, a module written where an import expects
// one, an `__init__.py` added or taken away, the pyproject's rules changed), `reglens check` with its cache must
// print exactly what it prints without one, on the main thread and on workers. The project is the workspace
// fixture (re-exports, relative and absolute imports) and, when ../shared/corpus is here, DINOv2's layers (real
// code, in folders without `__init__.py`).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { LONG, ROOT, rngFor, SEED, type Rng } from './harness';

const CLI = path.join(ROOT, 'bin', 'reglens.js');
const ROUNDS = Number(process.env.REGLENS_STRESS_CACHE_ROUNDS ?? (LONG ? 300 : 30));
const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-cache-stress-')));
const cacheDir = path.join(os.tmpdir(), `${path.basename(dir)}-cache`);
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(cacheDir, { recursive: true, force: true });
});

/** The project's files as first written, by path relative to `dir`. */
function originals(): Map<string, string> {
  const files = new Map<string, string>();
  const copy = (from: string, to: string) => {
    for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
      const source = path.join(from, entry.name);
      if (entry.isDirectory()) copy(source, path.join(to, entry.name));
      else if (entry.name.endsWith('.py') || entry.name === 'pyproject.toml')
        files.set(path.join(to, entry.name), fs.readFileSync(source, 'utf8'));
    }
  };
  copy(path.join(ROOT, 'test', 'workspace', 'fixtures', 'project'), '');
  const dinov2 = path.join(ROOT, '..', 'shared', 'corpus', 'facebookresearch__dinov2', 'dinov2');
  for (const sub of ['layers', 'models'])
    if (fs.existsSync(path.join(dinov2, sub))) copy(path.join(dinov2, sub), path.join('dinov2', sub));
  return files;
}

const ORIGINALS = originals();

function pythonFiles(): string[] {
  const out: string[] = [];
  const visit = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = path.join(rel, entry.name);
      if (entry.isDirectory() && !entry.name.startsWith('.')) visit(child);
      else if (entry.name.endsWith('.py')) out.push(child);
    }
  };
  visit('');
  return out.sort();
}

/** A Python file of the project now, or null when the edits removed them all. */
function anyFile(rng: Rng): string | null {
  const files = pythonFiles();
  return files.length === 0 ? null : rng.pick(files);
}

const read = (rel: string) => fs.readFileSync(path.join(dir, rel), 'utf8');
const write = (rel: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), text);
};

/** One edit; returns what it did, for the failure message. */
const EDITS: ReadonlyArray<(rng: Rng) => string | null> = [
  // A line that builds or applies a regularizer, or imports, goes.
  (rng) => {
    const file = anyFile(rng);
    if (file === null) return null;
    const lines = read(file).split('\n');
    const candidates = lines.flatMap((l, i) => (/drop|Drop|import|return/.test(l) ? [i] : []));
    if (candidates.length === 0) return null;
    const at = rng.pick(candidates);
    const removed = lines.splice(at, 1);
    write(file, lines.join('\n'));
    return `deleted ${file}:${at + 1} ${JSON.stringify(removed[0].trim())}`;
  },
  // A line that applies a dropout, repeated: `x = self.drop(x)` twice drops twice.
  (rng) => {
    const file = anyFile(rng);
    if (file === null) return null;
    const lines = read(file).split('\n');
    const candidates = lines.flatMap((l, i) => (/self\.\w*drop\w*\(/.test(l) ? [i] : []));
    if (candidates.length === 0) return null;
    const at = rng.pick(candidates);
    lines.splice(at, 0, lines[at]);
    write(file, lines.join('\n'));
    return `repeated ${file}:${at + 1} ${JSON.stringify(lines[at].trim())}`;
  },
  (rng) => {
    const file = anyFile(rng);
    if (file === null) return null;
    fs.rmSync(path.join(dir, file));
    return `removed ${file}`;
  },
  // Back to how it was (or back into existence).
  (rng) => {
    const file = rng.pick([...ORIGINALS.keys()]);
    write(file, ORIGINALS.get(file)!);
    return `restored ${file}`;
  },
  (rng) => {
    const file = anyFile(rng);
    if (file === null) return null;
    const moved = file.replace(/\.py$/, rng.chance(0.5) ? '_old.py' : '/__init__.py');
    if (fs.existsSync(path.join(dir, moved))) return null;
    write(moved, read(file));
    fs.rmSync(path.join(dir, file));
    return `moved ${file} to ${moved}`;
  },
  // The module a relative import names, written with a class that ends with a dropout.
  (rng) => {
    const file = anyFile(rng);
    if (file === null) return null;
    const imports = [...read(file).matchAll(/^from (\.+)(\w+) import (\w+)/gm)];
    if (imports.length === 0) return null;
    const [, dots, module, name] = rng.pick(imports);
    let folder = path.dirname(file);
    for (let i = 1; i < dots.length; i++) folder = path.dirname(folder);
    const target = path.join(folder, `${module}.py`);
    const cls = name === '*' ? 'Extra' : name;
    write(
      target,
      `import torch.nn as nn\n\n\nclass ${cls}(nn.Module):\n    def __init__(self, dim=8, *args, **kwargs):\n` +
        '        super().__init__()\n        self.net = nn.Sequential(nn.Linear(dim, dim), nn.Dropout(0.1))\n\n' +
        '    def forward(self, x, *args, **kwargs):\n        return self.net(x)\n',
    );
    return `wrote ${target} with ${cls}`;
  },
  (rng) => {
    const folders = [...new Set(pythonFiles().map((f) => path.dirname(f)))].filter((f) => f !== '.');
    if (folders.length === 0) return null;
    const init = path.join(rng.pick(folders), '__init__.py');
    if (fs.existsSync(path.join(dir, init))) fs.rmSync(path.join(dir, init));
    else write(init, '');
    return `toggled ${init}`;
  },
  (rng) => {
    const settings = rng.pick([
      '',
      'ignore = ["RG010"]\n',
      'select = ["RG002", "RG007"]\n',
      'exclude = ["mypkg/layers.py"]\n',
    ]);
    write('pyproject.toml', `[project]\nname = "mypkg"\n\n[tool.reglens]\n${settings}`);
    return `pyproject: ${JSON.stringify(settings.trim())}`;
  },
  // The same text written again: nothing changes but the time.
  (rng) => {
    const file = anyFile(rng);
    if (file === null) return null;
    write(file, read(file));
    return `rewrote ${file} unchanged`;
  },
];

function check(args: string[]): { status: number | null; stdout: string; stderr: string; reused: number } {
  const r = spawnSync(process.execPath, [CLI, 'check', '--format', 'json', '--exit-zero', ...args, '.'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, REGLENS_CACHE_DIR: cacheDir, REGLENS_TRACE_CHECK: '1' },
  });
  const reused = Number(/^cache: (\d+) of/m.exec(r.stderr)?.[1] ?? 0);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, reused };
}

test(`the cache answers as a check without it after every edit (seed ${SEED}, ${ROUNDS} rounds)`, () => {
  for (const [file, text] of ORIGINALS) write(file, text);
  const log: string[] = [];
  let reused = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const rng = rngFor(SEED, round);
    const edits = rng.range(1, 2);
    for (let i = 0; i < edits; i++) {
      const done = rng.pick(EDITS)(rng);
      if (done) log.push(`round ${round}: ${done}`);
    }
    const jobs = rng.chance(0.5) ? '1' : '2';
    const cached = check(['--jobs', jobs]);
    const uncached = check(['--no-cache', '--jobs', '1']);
    assert.equal(cached.status, 0, cached.stderr);
    assert.equal(
      cached.stdout,
      uncached.stdout,
      `round ${round} (--jobs ${jobs}): the cached report differs from the uncached one; ` +
        `REGLENS_STRESS_SEED=${SEED} reproduces it. Edits so far:\n${log.join('\n')}`,
    );
    assert.doesNotMatch(cached.stderr, /warning: the cache/);
    reused += cached.reused;
  }
  // Most files are unchanged from one round to the next: a cache that never answers would pass the comparisons.
  assert.ok(reused > ROUNDS, `the cache answered for ${reused} files in ${ROUNDS} rounds`);
  console.log(`# cache stress: ${ROUNDS} rounds, ${log.length} edits, ${reused} files reused, seed ${SEED}`);
});
