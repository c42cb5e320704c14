import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { BLOCK, BIN, CLEAN, makeTree, ONLY_RG006, ROOT, runCli, summary } from './helpers';

const BROKEN = `import torch.nn as nn
import torch.nn.functional as F

class Broken(nn.Module:
    def forward(self, x)
        return F.dropout(x,
`;

describe('reglens check: usage and I/O errors', () => {
  it('exits 2 with one clear line for an unknown option or a bad --format', () => {
    const dir = makeTree({ 'a.py': BLOCK });
    for (const [args, message] of [
      [['check', '--frobnicate', 'a.py'], /^error: unknown option --frobnicate/],
      [
        ['check', '--format', 'xml', 'a.py'],
        /^error: --format must be one of text, full, grouped, json, json-lines, sarif, github, gitlab, /,
      ],
      [['check', '--format'], /^error: --format needs a value/],
      [['lint', 'a.py'], /^error: unknown command "lint"/],
    ] as const) {
      const r = runCli([...args], { cwd: dir });
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1);
    }
  });

  it('reports a missing path, checks the others, and exits 2 at the end', () => {
    const dir = makeTree({ 'a.py': ONLY_RG006 });
    const r = runCli(['check', '--format', 'json', 'missing.py', 'a.py'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'error: missing.py: no such file or directory\n');
    assert.deepEqual(summary(r.stdout), ['a.py:6:16 RG006']);
  });

  it('reports an unreadable file among good ones, checks the others, and exits 2', () => {
    const dir = makeTree({ 'src/a.py': ONLY_RG006, 'src/z.py': CLEAN });
    fs.symlinkSync(path.join(dir, 'nowhere.py'), path.join(dir, 'src', 'gone.py'));
    const r = runCli(['check', '--format', 'json', 'src'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: src[/\\]gone\.py: no such file or directory$/m);
    assert.deepEqual(summary(r.stdout), ['src/a.py:6:16 RG006']);
  });

  it('skips a binary file with a message and checks a syntactically broken file without crashing', () => {
    const binary = Buffer.concat([
      Buffer.from('import torch\n# dropout\n'),
      Buffer.from([0, 1, 2, 0xff]),
      Buffer.from(BLOCK),
    ]);
    const dir = makeTree({ 'a_good.py': ONLY_RG006, 'blob.py': binary, 'broken.py': BROKEN, 'z_good.py': BLOCK });
    const r = runCli(['check', '--format', 'json', '.'], { cwd: dir });
    assert.equal(r.code, 1, `findings, no errors: ${r.stderr}`);
    assert.equal(r.stderr, 'warning: blob.py: not checked: binary file (a NUL byte in the first 8 KB)\n');
    const found = summary(r.stdout);
    assert.ok(found.includes('a_good.py:6:16 RG006'), found.join(', '));
    assert.ok(found.includes('z_good.py:11:13 RG006'), found.join(', '));
    assert.ok(!found.some((f) => f.startsWith('blob.py')));
  });

  it('skips a file above the size limit with a message', () => {
    const line = 'x = 1  # dropout\n';
    const huge = line.repeat(Math.ceil((8 * 1024 * 1024 + 1) / line.length));
    const dir = makeTree({ 'huge.py': huge, 'good.py': ONLY_RG006 });
    const r = runCli(['check', '--format', 'json', '.'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^warning: huge\.py: not checked: larger than the 8 MB limit \([\d,]+ bytes\)$/m);
    assert.deepEqual(summary(r.stdout), ['good.py:6:16 RG006']);
  });

  it('does not parse files that no enabled rule can match (the parser is not even loaded)', () => {
    // A copy of the CLI bundle without the tree-sitter wasm files beside it: it can only check files
    // that the prefilter rules out; one that mentions dropout needs the parser and fails.
    const dir = makeTree({ 'plain.py': 'import torch\nprint(torch.ones(3))\n', 'model.py': ONLY_RG006 });
    fs.mkdirSync(path.join(dir, 'tool', 'bin'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'tool', 'dist'));
    fs.copyFileSync(BIN, path.join(dir, 'tool', 'bin', 'reglens.js'));
    fs.copyFileSync(path.join(ROOT, 'dist', 'cli.js'), path.join(dir, 'tool', 'dist', 'cli.js'));
    const bin = path.join(dir, 'tool', 'bin', 'reglens.js');
    const plain = runCli(['check', 'plain.py'], { cwd: dir, bin });
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout, 'All checks passed! (1 file)\n');
    // Words the rules look for, but no PyTorch (or timm, Lightning) import that any finding needs.
    fs.writeFileSync(
      path.join(dir, 'nolib.py'),
      'import random\n\nclass Net:\n    def forward(self, x, training=True):\n        return dropout(x) if ' +
        'random.random() > 0.5 else x\n',
    );
    const noLibrary = runCli(['check', 'nolib.py'], { cwd: dir, bin });
    assert.equal(noLibrary.code, 0, noLibrary.stderr);
    const needsParser = runCli(['check', 'model.py'], { cwd: dir, bin });
    assert.equal(needsParser.code, 2);
    assert.match(needsParser.stderr, /tree-sitter/);
  });
});
