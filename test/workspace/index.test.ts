// The workspace index through the engine: cross-file resolution changes RG002 / RG010 answers, edits to a
// dependency reach its dependents through the analyzer's cache, and discovery leaves out what it should.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { Analyzer } from '../../server/engine/analyze';
import { isExcluded, RuleSelection } from '../../server/engine/config';
import { loadConfigFile } from '../../server/engine/config-files';
import { initParser, SourceFile } from '../../server/engine/parser';
import { absoluteName, importRoots, WorkspaceIndex } from '../../server/engine/workspace';
import { discover } from '../../server/core/files';
import type { Finding } from '../../server/engine/types';
import { copyFixture, expected, FIXTURES } from './helpers';
import { rules, ruleCodes } from '../../server/rules';

const STRUCTURE = new RuleSelection({ select: ['RG002', 'RG010'] });

function lint(
  analyzer: Analyzer,
  index: WorkspaceIndex | null,
  file: string,
  text = fs.readFileSync(file, 'utf8'),
): string[] {
  const source = new SourceFile(text);
  try {
    return analyzer
      .analyze(source, STRUCTURE, index ? index.scopeFor(file) : null)
      .map((f: Finding) => `${f.range.start.line + 1}:${f.code}`);
  } finally {
    source.dispose();
  }
}

function indexFolder(folder: string): WorkspaceIndex {
  const index = new WorkspaceIndex({
    roots: importRoots(folder),
    read: (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : null),
  });
  const config = loadConfigFile(path.join(folder, 'pyproject.toml'), ruleCodes);
  for (const f of discover([folder], folder, {
    excluded: (a) => isExcluded(path.relative(folder, a), config.settings.exclude),
  }).files)
    index.update(f.absolute);
  return index;
}

before(() => initParser());

describe('cross-file resolution', () => {
  test('relative, absolute and __init__ re-exported classes give RG002 and RG010 their answers', () => {
    const folder = copyFixture('project');
    const blocks = path.join(folder, 'mypkg', 'blocks.py');
    assert.deepEqual(lint(new Analyzer(rules), null, blocks), [], 'alone, every sublayer of another file is unknown');
    const index = indexFolder(folder);
    assert.deepEqual(lint(new Analyzer(rules), index, blocks), expected(blocks));
  });

  test('attribute chains reach submodules of classes of another file: MiniMind-V over two files', () => {
    const folder = copyFixture('minimind');
    const vlm = path.join(folder, 'model', 'model_vlm.py');
    const rg001 = new RuleSelection({ select: ['RG001'] });
    const check = (index: WorkspaceIndex | null) => {
      const source = new SourceFile(fs.readFileSync(vlm, 'utf8'));
      try {
        return new Analyzer(rules)
          .analyze(source, rg001, index ? index.scopeFor(vlm) : null)
          .map((f) => `${f.range.start.line + 1}:${f.code}`);
      } finally {
        source.dispose();
      }
    };
    assert.deepEqual(check(null), [], 'alone, self.model and self.lm are unknown');
    assert.deepEqual(check(indexFolder(folder)), expected(vlm));
  });

  test('an edit of the dependency changes the dependent, through the same analyzer cache', () => {
    const folder = copyFixture('project');
    const blocks = path.join(folder, 'mypkg', 'blocks.py');
    const layers = path.join(folder, 'mypkg', 'layers.py');
    const index = indexFolder(folder);
    const analyzer = new Analyzer(rules);
    const scope = index.scopeFor(blocks);
    const source = new SourceFile(fs.readFileSync(blocks, 'utf8'));
    assert.ok(analyzer.analyze(source, STRUCTURE, scope).some((f) => f.code === 'RG010'));
    source.dispose();
    assert.ok(
      scope.consulted.has('mypkg') && scope.consulted.has('mypkg.layers'),
      'the re-export chain is recorded, so the server knows whom to re-analyse',
    );
    // FeedForward no longer ends with its dropout: the block's ff_drop is the only one.
    fs.writeFileSync(
      layers,
      fs.readFileSync(layers, 'utf8').replace('return self.drop(self.fc2(', 'return (self.fc2('),
    );
    const dropped = index.update(layers);
    assert.ok(dropped.has('mypkg.layers'));
    assert.ok(!lint(analyzer, index, blocks).includes('17:RG010'));
    // PlainAttention gains an output dropout: the residual add is regularized now.
    const plain = path.join(folder, 'mypkg', 'plain_attention.py');
    fs.writeFileSync(
      plain,
      fs
        .readFileSync(plain, 'utf8')
        .replace('self.proj = nn.Linear(dim, dim)', 'self.proj = nn.Sequential(nn.Linear(dim, dim), nn.Dropout(0.1))'),
    );
    index.update(plain);
    assert.ok(!lint(analyzer, index, blocks).includes('16:RG002'));
  });

  test('a deleted dependency makes its names unknown again; re-created, they resolve', () => {
    const folder = copyFixture('project');
    const blocks = path.join(folder, 'mypkg', 'blocks.py');
    const plain = path.join(folder, 'mypkg', 'plain_attention.py');
    const index = indexFolder(folder);
    const analyzer = new Analyzer(rules);
    assert.ok(lint(analyzer, index, blocks).includes('16:RG002'));
    const text = fs.readFileSync(plain, 'utf8');
    fs.rmSync(plain);
    index.remove(plain);
    assert.ok(!lint(analyzer, index, blocks).includes('16:RG002'));
    fs.writeFileSync(plain, text);
    index.update(plain);
    assert.ok(lint(analyzer, index, blocks).includes('16:RG002'));
  });

  test('src layouts: modules are named from src/', () => {
    const folder = path.join(FIXTURES, 'multi-root', 'alpha');
    const index = indexFolder(folder);
    const block = path.join(folder, 'src', 'alpha_models', 'block.py');
    assert.equal(index.moduleOf(block)?.module, 'alpha_models.block');
    assert.deepEqual(lint(new Analyzer(rules), index, block), expected(block));
  });

  test('classes that import each other in a cycle still resolve, without a hang', () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-ws-cycle-'));
    fs.mkdirSync(path.join(folder, 'pkg'));
    fs.writeFileSync(path.join(folder, 'pkg', '__init__.py'), '');
    const module = (other: string, cls: string, otherCls: string) =>
      `import torch.nn as nn\nfrom .${other} import ${otherCls}\n\nclass ${cls}(nn.Module):\n    def ` +
      `__init__(self, p=0.1):\n        super().__init__()\n        self.inner = ${otherCls}()\n        self.drop ` +
      `= nn.Dropout(p)\n\n    def forward(self, x):\n        return self.drop(self.inner(x))\n`;
    fs.writeFileSync(path.join(folder, 'pkg', 'a.py'), module('b', 'A', 'B'));
    fs.writeFileSync(path.join(folder, 'pkg', 'b.py'), module('a', 'B', 'A'));
    const index = indexFolder(folder);
    // B (summarized with A unknown inside it) ends with its dropout, so A's drop of B's output drops twice.
    assert.deepEqual(lint(new Analyzer(rules), index, path.join(folder, 'pkg', 'a.py')), ['11:RG010']);
  });

  test('a summary in a cycle is the same whichever file asked first (reglens check --jobs relies on it)', () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-ws-cycle-order-'));
    const write = (rel: string, lines: string[]) => fs.writeFileSync(path.join(folder, 'pkg', rel), lines.join('\n'));
    fs.mkdirSync(path.join(folder, 'pkg'));
    write('__init__.py', ['']);
    // A builds a B; B subclasses A: summarizing A reads B, whose base reads A.
    const init = ['    def __init__(self):', '        super().__init__()'];
    write('a.py', [
      'import torch.nn as nn',
      'from .b import B',
      'class A(nn.Module):',
      ...init,
      '        self.b = B()',
      '',
    ]);
    write('b.py', ['from .a import A', 'class B(A):', ...init, '        self.c = 1', '']);
    const bOf = (index: WorkspaceIndex) =>
      JSON.stringify(index.scopeFor(path.join(folder, 'c.py')).definition('pkg.b.B'));
    const fresh = indexFolder(folder);
    const afterA = indexFolder(folder);
    assert.ok(afterA.scopeFor(path.join(folder, 'c.py')).definition('pkg.a.A'), 'A resolves');
    // Once, B's summary depended on whether A had been asked for first (B was then no module: A was in progress).
    assert.equal(bOf(afterA), bOf(fresh));
    assert.match(bOf(fresh), /"isModule":true/);
  });
});

describe('an index of names, scanned where lookups reach (reglens check)', () => {
  /** The same folder indexed by name only; `unreadable` files read as gone. */
  function namedIndex(folder: string, unreadable: readonly string[] = []): WorkspaceIndex {
    const index = new WorkspaceIndex({
      roots: importRoots(folder),
      read: (f) => (fs.existsSync(f) && !unreadable.includes(f) ? fs.readFileSync(f, 'utf8') : null),
    });
    for (const f of discover([folder], folder, {}).files) index.addUnscanned(f.absolute);
    return index;
  }

  test('gives the findings the scanned index gives, scanning only the files a lookup reaches', () => {
    const folder = copyFixture('project');
    const files = discover([folder], folder, {}).files.map((f) => f.absolute);
    const blocks = path.join(folder, 'mypkg', 'blocks.py');
    const index = namedIndex(folder);
    assert.equal(index.stats.scanned, 0);
    assert.deepEqual(lint(new Analyzer(rules), index, blocks), lint(new Analyzer(rules), indexFolder(folder), blocks));
    assert.deepEqual(lint(new Analyzer(rules), index, blocks), expected(blocks));
    assert.ok(index.stats.scanned > 0, 'the lookups of blocks.py scanned the files they reached');
    assert.ok(index.stats.scanned < files.length, `${index.stats.scanned} of ${files.length} files scanned`);
  });

  test('a file that cannot be read when a lookup reaches it is left out; its module goes to the other file', () => {
    // pkg/layers.py and pkg/layers/__init__.py both claim pkg.layers: Python, and the index, take the package;
    // when the package cannot be read, the module is the plain file's, as if the package were not there.
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-ws-unreadable-'));
    fs.mkdirSync(path.join(folder, 'pkg', 'layers'), { recursive: true });
    fs.writeFileSync(path.join(folder, 'pkg', '__init__.py'), '');
    const block = (name: string) =>
      `import torch.nn as nn\n\nclass ${name}(nn.Module):\n    def __init__(self, p=0.1):\n` +
      `        super().__init__()\n        self.drop = nn.Dropout(p)\n\n    def forward(self, x):\n` +
      `        return self.drop(x)\n`;
    fs.writeFileSync(path.join(folder, 'pkg', 'layers.py'), block('Plain'));
    const packageInit = path.join(folder, 'pkg', 'layers', '__init__.py');
    fs.writeFileSync(packageInit, block('Packaged'));
    const scope = (index: WorkspaceIndex) => index.scopeFor(path.join(folder, 'main.py'));
    assert.ok(scope(namedIndex(folder)).definition('pkg.layers.Packaged'));
    assert.equal(scope(namedIndex(folder)).definition('pkg.layers.Plain'), null);
    const withoutPackage = namedIndex(folder, [packageInit]);
    assert.equal(scope(withoutPackage).definition('pkg.layers.Packaged'), null);
    assert.match(JSON.stringify(scope(withoutPackage).definition('pkg.layers.Plain')), /"isModule":true/);
    assert.equal(withoutPackage.has(packageInit), false);
  });
});

describe('relative import names', () => {
  test('dots climb packages from the importing module', () => {
    assert.equal(absoluteName('.layers.Attention', 'mypkg.blocks', false), 'mypkg.layers.Attention');
    assert.equal(absoluteName('.layers.Attention', 'mypkg', true), 'mypkg.layers.Attention');
    assert.equal(absoluteName('.layers', 'mypkg.blocks', false), 'mypkg.layers');
    assert.equal(absoluteName('..util.f', 'mypkg.sub.mod', false), 'mypkg.util.f');
    assert.equal(absoluteName('...x', 'mypkg.mod', false), null, 'above the top package');
    assert.equal(absoluteName('torch.nn.Dropout', 'mypkg.mod', false), 'torch.nn.Dropout');
  });
});

describe('discovery', () => {
  test('.gitignore, virtual environments, site-packages, node_modules and exclude globs are left out', () => {
    const folder = copyFixture('project');
    const write = (rel: string, text = 'import torch\n') => {
      fs.mkdirSync(path.dirname(path.join(folder, rel)), { recursive: true });
      fs.writeFileSync(path.join(folder, rel), text);
    };
    write('.gitignore', 'generated/\n*_pb2.py\n!keep_pb2.py\n');
    write('generated/model.py');
    write('mypkg/proto_pb2.py');
    write('mypkg/keep_pb2.py');
    write('envs/py311/pyvenv.cfg', 'home = /usr/bin\n');
    write('envs/py311/lib/mod.py');
    write('.venv/lib/python3.11/site-packages/torch/nn.py');
    write('vendor/site-packages/lib.py');
    write('node_modules/pkg/x.py');
    write('mypkg/sub/.gitignore', '/scratch.py\n');
    write('mypkg/sub/scratch.py');
    write('mypkg/sub/kept.py');
    const index = indexFolder(folder);
    const found = index
      .paths()
      .map((p) => path.relative(folder, p).split(path.sep).join('/'))
      .sort();
    assert.deepEqual(found, [
      'mypkg/__init__.py',
      'mypkg/attention.py',
      'mypkg/blocks.py',
      'mypkg/keep_pb2.py',
      'mypkg/layers.py',
      'mypkg/plain_attention.py',
      'mypkg/sub/kept.py',
    ]);
  });

  test('exclude globs: a bare name matches at any depth, a path from the base folder', () => {
    assert.ok(isExcluded('legacy', ['legacy']));
    assert.ok(isExcluded('a/legacy/x.py', ['legacy']));
    assert.ok(isExcluded('a/b_test.py', ['*_test.py']));
    assert.ok(isExcluded('build/lib/x.py', ['build/**']));
    assert.ok(isExcluded('build/lib', ['build/lib']));
    assert.ok(!isExcluded('src/build.py', ['build']));
    assert.ok(!isExcluded('a/build/x.py', ['./build/**']), 'a path glob is anchored at the base folder');
    assert.ok(!isExcluded('x.py', []));
  });
});
