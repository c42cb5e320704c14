// `reglens check`'s cache (server/cli/check-cache.ts): a second check reuses each file's findings, and anything they
// were computed from that changes (the file, a class it imports from another file, a module that appears, the
// settings, the engine) is checked again. The real bundle in temp folders; REGLENS_TRACE_CHECK says how many files
// were reused.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CLEAN, makeTree, ONLY_RG006, read, runCli } from './helpers';

const LAYERS = `import torch.nn as nn


class FeedForward(nn.Module):
    def __init__(self, dim, dropout=0.1):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Dropout(dropout))

    def forward(self, x):
        return self.net(x)
`;

/** Drops the output of a class of another file (RG010 when it ends with a dropout), and of one not written yet. */
const BLOCK = `import torch.nn as nn

from .layers import FeedForward
from .extra import Head


class Block(nn.Module):
    def __init__(self, dim, dropout=0.1):
        super().__init__()
        self.ff = FeedForward(dim, dropout)
        self.head = Head(dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        x = x + self.drop(self.ff(x))
        return self.drop(self.head(x))
`;

const EXTRA = `import torch.nn as nn


class Head(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.out = nn.Sequential(nn.Linear(dim, dim), nn.Dropout(0.1))

    def forward(self, x):
        return self.out(x)
`;

function project(): string {
  return makeTree({
    'pkg/__init__.py': '',
    'pkg/layers.py': LAYERS,
    'pkg/block.py': BLOCK,
    'pkg/clean.py': CLEAN,
  });
}

/** A check with the trace on: its output, and how many files the cache gave. */
function check(dir: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const r = runCli(['check', ...args], { cwd: dir, env: { REGLENS_TRACE_CHECK: '1', ...env } });
  const reused = /^cache: (\d+) of (\d+) files reused$/m.exec(r.stderr);
  return { ...r, reused: reused ? Number(reused[1]) : null };
}

const rg010Lines = (stdout: string) => [...stdout.matchAll(/^pkg\/block\.py:(\d+):\d+: RG010 /gm)].map((m) => +m[1]);

describe('reglens check: the cache', () => {
  it('reuses every unchanged file on the next run and prints the same bytes; git and the walk leave it alone', () => {
    const dir = project();
    const first = check(dir);
    assert.equal(first.code, 1, first.stderr);
    assert.equal(first.reused, 0);
    assert.deepEqual(rg010Lines(first.stdout), [15]);
    const second = check(dir);
    assert.equal(second.reused, 4, second.stderr);
    assert.equal(second.stdout, first.stdout);
    assert.equal(second.code, first.code);
    // Another output format reads the same entries.
    const json = check(dir, ['--format', 'json']);
    assert.equal(json.reused, 4);
    const uncached = runCli(['check', '--no-cache', '--format', 'json'], { cwd: dir });
    assert.equal(json.stdout, uncached.stdout);
    assert.equal(fs.readFileSync(path.join(dir, '.reglens_cache', '.gitignore'), 'utf8').split('\n')[1], '*');
    assert.match(fs.readFileSync(path.join(dir, '.reglens_cache', 'CACHEDIR.TAG'), 'utf8'), /^Signature: 8a477f59/);
  });

  it('checks a file again when a class it imports changes, and when a module it imports appears', () => {
    const dir = project();
    check(dir);
    // FeedForward no longer ends with a dropout: block.py's finding goes, though block.py did not change.
    fs.writeFileSync(path.join(dir, 'pkg', 'layers.py'), LAYERS.replace(', nn.Dropout(dropout))', ')'));
    const edited = check(dir);
    assert.equal(edited.reused, 2, 'pkg/__init__.py and pkg/clean.py reused; layers.py and block.py checked');
    assert.deepEqual(rg010Lines(edited.stdout), []);
    // `.extra` did not exist: once it does, its Head is read.
    fs.writeFileSync(path.join(dir, 'pkg', 'extra.py'), EXTRA);
    const appeared = check(dir);
    assert.equal(appeared.reused, 3, appeared.stderr);
    assert.deepEqual(rg010Lines(appeared.stdout), [16]);
    // And a file's own edit, of course.
    fs.writeFileSync(path.join(dir, 'pkg', 'clean.py'), ONLY_RG006);
    const own = check(dir);
    assert.equal(own.reused, 4);
    assert.match(own.stdout, /^pkg\/clean\.py:6:16: RG006 /m);
    assert.deepEqual(own.stdout, runCli(['check', '--no-cache'], { cwd: dir }).stdout);
  });

  it('follows a relative import resolved by folder (research code without `__init__.py`) as it changes', () => {
    // No `__init__.py`: `.layers` in models/block.py is found by folder, as in DINOv2's `dinov2/layers`.
    const dir = makeTree({ 'models/block.py': BLOCK.replace('from .extra import Head\n', '') });
    const named = ['models/block.py', '--select', 'RG010'];
    assert.deepEqual(rg010Lines(check(dir, named).stdout.replace(/^models\//gm, 'pkg/')), []);
    fs.writeFileSync(path.join(dir, 'models', 'layers.py'), LAYERS);
    const appeared = check(dir, named);
    assert.equal(appeared.reused, 0, 'the file the import looked for exists now');
    assert.match(appeared.stdout, /^models\/block\.py:14:17: RG010 /m);
    assert.equal(check(dir, named).reused, 1);
    fs.writeFileSync(path.join(dir, 'models', 'layers.py'), LAYERS.replace(', nn.Dropout(dropout))', ')'));
    const edited = check(dir, named);
    assert.equal(edited.reused, 0);
    assert.doesNotMatch(edited.stdout, /RG010/);
  });

  it('checks again under other settings: pyproject, --ignore, --unsafe-fixes', () => {
    const dir = project();
    check(dir);
    fs.writeFileSync(path.join(dir, 'pyproject.toml'), '[tool.reglens]\nignore = ["RG010"]\n');
    const ignored = check(dir);
    assert.equal(ignored.reused, 0);
    assert.deepEqual(rg010Lines(ignored.stdout), []);
    assert.equal(ignored.code, 0);
    assert.ok(fs.existsSync(path.join(dir, '.reglens_cache', 'check.json')), 'beside the pyproject that configures it');
    // --ignore replaces the pyproject's.
    const flags = check(dir, ['--ignore', 'RG006']);
    assert.equal(flags.reused, 0);
    assert.deepEqual(rg010Lines(flags.stdout), [15]);
    const unsafe = check(dir, ['--ignore', 'RG006', '--unsafe-fixes']);
    assert.equal(unsafe.reused, 0);
    assert.match(unsafe.stdout, /1 fixable with the --fix and --unsafe-fixes options/);
  });

  it('reads no entry of another engine, nor a damaged cache file, and writes a good one in its place', () => {
    const dir = project();
    const first = check(dir);
    const file = path.join(dir, '.reglens_cache', 'check.json');
    const cache = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...cache, engine: 'another build' }));
    assert.equal(check(dir).reused, 0);
    fs.writeFileSync(file, '{"format": 1, "engine": ');
    const damaged = check(dir);
    assert.equal(damaged.reused, 0);
    assert.equal(damaged.stdout, first.stdout);
    assert.equal(check(dir).reused, 4);
    // An entry that is not one (a hand edit) is a miss, never a crash.
    const good = JSON.parse(fs.readFileSync(file, 'utf8'));
    good.files[path.join(dir, 'pkg', 'block.py')].outcome = { kind: 'checked' };
    fs.writeFileSync(file, JSON.stringify(good));
    const edited = check(dir);
    assert.equal(edited.reused, 3);
    assert.equal(edited.stdout, first.stdout);
  });

  it('is neither read nor written with --no-cache or REGLENS_NO_CACHE; --cache-dir moves it', () => {
    const dir = project();
    assert.equal(check(dir, ['--no-cache']).reused, null);
    assert.equal(check(dir, [], { REGLENS_NO_CACHE: '1' }).reused, null);
    assert.ok(!fs.existsSync(path.join(dir, '.reglens_cache')));
    check(dir, ['--cache-dir', 'elsewhere']);
    assert.equal(check(dir, [], { REGLENS_CACHE_DIR: path.join(dir, 'elsewhere') }).reused, 4);
    assert.ok(!fs.existsSync(path.join(dir, '.reglens_cache')));
    fs.writeFileSync(path.join(dir, 'pkg', 'clean.py'), ONLY_RG006);
    const fixed = check(dir, ['--fix', '--no-cache']);
    assert.equal(fixed.reused, null);
    assert.match(read(dir, 'pkg/clean.py'), /training=self\.training/);
  });

  it('--fix reuses only the files it would leave as they are, and fixes a cached file that has a safe fix', () => {
    const dir = project();
    // clean.py's RG006 (a safe fix) is in the cache before --fix runs: it must be fixed, not reused.
    fs.writeFileSync(path.join(dir, 'pkg', 'clean.py'), ONLY_RG006);
    const warm = check(dir);
    assert.match(warm.stdout, /^pkg\/clean\.py:6:16: RG006 /m);
    const fixed = check(dir, ['--fix']);
    assert.equal(
      fixed.reused,
      3,
      `block.py's RG010 fix is unsafe: not applied, so block.py is reused\n${fixed.stderr}`,
    );
    assert.match(read(dir, 'pkg/clean.py'), /F\.dropout\(x, 0\.5, training=self\.training\)/);
    assert.match(fixed.stdout, /^Found 2 problems \(1 fixed, 1 remaining\)\.$/m);
    assert.deepEqual(rg010Lines(fixed.stdout), [15], 'what remains is reported from the cache as from a check');
    // The fixed file's entry is gone, the others stay; the report is the one a check without the cache prints.
    const after = check(dir);
    assert.equal(after.reused, 3, after.stderr);
    assert.doesNotMatch(after.stdout, /RG006/);
    assert.equal(after.stdout, runCli(['check', '--no-cache'], { cwd: dir }).stdout);
    assert.equal(check(dir).reused, 4);
    // With --unsafe-fixes, block.py's RG010 fix applies: block.py is checked and fixed, not reused.
    const unsafe = check(dir, ['--fix', '--unsafe-fixes']);
    assert.equal(unsafe.reused, 0, 'the cache of a run without --unsafe-fixes is not this one');
    assert.deepEqual(rg010Lines(unsafe.stdout), []);
    const again = check(dir, ['--fix', '--unsafe-fixes']);
    assert.equal(again.reused, 3, 'the file the last run fixed is checked again, the three others reused');
    assert.match(again.stdout, /^All checks passed! \(4 files\)$/m);
    assert.equal(check(dir, ['--fix', '--unsafe-fixes']).reused, 4);
  });

  it('--fix checks a file again when a class it imports was fixed earlier in the same run', () => {
    // a_layers.py's RG011 fix (keep the dropout's result) makes FeedForward end with a dropout, so b_block.py, which
    // drops FeedForward's output again, has an RG010 once a_layers.py is fixed: as a run without the cache says.
    const feedForward = [
      'import torch.nn as nn',
      'import torch.nn.functional as F',
      '',
      '',
      'class FeedForward(nn.Module):',
      '    def __init__(self, dim):',
      '        super().__init__()',
      '        self.fc = nn.Linear(dim, dim)',
      '',
      '    def forward(self, x):',
      '        x = self.fc(x)',
      '        F.dropout(x, 0.1, self.training)',
      '        return x',
      '',
    ].join('\n');
    const block = [
      'import torch.nn as nn',
      '',
      'from .a_layers import FeedForward',
      '',
      '',
      'class Block(nn.Module):',
      '    def __init__(self, dim):',
      '        super().__init__()',
      '        self.ff = FeedForward(dim)',
      '        self.drop = nn.Dropout(0.1)',
      '',
      '    def forward(self, x):',
      '        return self.drop(self.ff(x))',
      '',
    ].join('\n');
    const files = { 'pkg/__init__.py': '', 'pkg/a_layers.py': feedForward, 'pkg/b_block.py': block };
    const uncached = makeTree(files);
    const expected = runCli(['check', '--fix', '--no-cache'], { cwd: uncached });
    assert.match(expected.stdout, /^pkg\/b_block\.py:\d+:\d+: RG010 /m);
    const dir = makeTree(files);
    assert.doesNotMatch(check(dir).stdout, /RG010/);
    const fixed = check(dir, ['--fix']);
    assert.equal(fixed.stdout, expected.stdout);
    assert.equal(read(dir, 'pkg/a_layers.py'), read(uncached, 'pkg/a_layers.py'));
  });

  it('--diff and --add-noqa reuse the files they would not change and print what a run without a cache prints', () => {
    const dir = project();
    fs.writeFileSync(path.join(dir, 'pkg', 'clean.py'), ONLY_RG006);
    check(dir);
    const diff = check(dir, ['--diff']);
    assert.equal(diff.reused, 3, diff.stderr);
    assert.equal(diff.stdout, runCli(['check', '--diff', '--no-cache'], { cwd: dir }).stdout);
    assert.match(diff.stdout, /^\+\s+return F\.dropout\(x, 0\.5, training=self\.training\)$/m);
    assert.equal(read(dir, 'pkg/clean.py'), ONLY_RG006, '--diff writes nothing');
    // --add-noqa: a file with a problem is never taken from the cache (block.py and clean.py get their directives).
    const noqa = check(dir, ['--add-noqa']);
    assert.equal(noqa.reused, 2, noqa.stderr);
    assert.match(read(dir, 'pkg/clean.py'), /# noqa: RG006$/m);
    assert.match(read(dir, 'pkg/block.py'), /# noqa: RG010$/m);
    const after = check(dir);
    assert.equal(after.code, 0, after.stdout);
    assert.equal(after.reused, 2, 'the two files --add-noqa wrote are checked again');
  });

  it('works the same from worker threads', () => {
    const dir = project();
    const first = check(dir, ['--jobs', '2']);
    const second = check(dir, ['--jobs', '2']);
    assert.equal(second.reused, 4, second.stderr);
    assert.equal(second.stdout, first.stdout);
    fs.writeFileSync(path.join(dir, 'pkg', 'extra.py'), EXTRA);
    const appeared = check(dir, ['--jobs', '2']);
    assert.deepEqual(rg010Lines(appeared.stdout), [15, 16]);
  });

  it('a cache that cannot be written is a warning: the check and its exit status are as without it', () => {
    const dir = project();
    fs.writeFileSync(path.join(dir, 'not-a-folder'), '');
    const r = check(dir, ['--cache-dir', 'not-a-folder/cache']);
    assert.equal(r.code, 1);
    assert.deepEqual(rg010Lines(r.stdout), [15]);
    assert.match(r.stderr, /^warning: the cache in .*not-a-folder\/cache could not be written: /m);
  });

  it("`reglens clean` removes the cache, a subproject's below it too, and only a folder that holds one", () => {
    const dir = project();
    check(dir);
    // A subproject with its own pyproject keeps its cache beside it.
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'sub', 'pyproject.toml'), '[tool.reglens]\n');
    fs.writeFileSync(path.join(dir, 'sub', 'model.py'), ONLY_RG006);
    check(path.join(dir, 'sub'));
    assert.ok(fs.existsSync(path.join(dir, 'sub', '.reglens_cache', 'check.json')));
    const removed = runCli(['clean'], { cwd: dir });
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout, 'Removed .reglens_cache.\nRemoved sub/.reglens_cache.\n');
    assert.ok(!fs.existsSync(path.join(dir, '.reglens_cache')));
    assert.ok(!fs.existsSync(path.join(dir, 'sub', '.reglens_cache')));
    assert.equal(
      runCli(['clean'], { cwd: dir }).stdout,
      'No cache to remove: .reglens_cache does not exist, nor does any .reglens_cache below.\n',
    );
    // A folder named like the cache that holds none is left alone.
    fs.mkdirSync(path.join(dir, 'pkg', '.reglens_cache'));
    assert.match(runCli(['clean'], { cwd: dir }).stdout, /^No cache to remove/);
    assert.ok(fs.existsSync(path.join(dir, 'pkg', '.reglens_cache')));
    const refused = runCli(['clean', '--cache-dir', 'pkg'], { cwd: dir });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /pkg does not hold a Reglens cache/);
    assert.ok(fs.existsSync(path.join(dir, 'pkg', 'block.py')));
  });
});
