// `reglens check DIR` resolves across the files it checks, with the same index as the editor.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseJson, runCli, summary } from '../cli/helpers';
import type { ProfileResult } from '../../kernels/profile-result';
import { copyFixture, expected } from './helpers';

function expectedIn(folder: string, rel: string): string[] {
  return expected(path.join(folder, ...rel.split('/'))).map((e) => {
    const [line, code] = e.split(':');
    return `${rel}:${line} ${code}`;
  });
}

test('check DIR: findings that need other files, and the excluded folder left out', () => {
  const folder = copyFixture('project');
  const r = runCli(['check', '.', '--format', 'json'], { cwd: folder });
  const found = summary(r.stdout).map((s) => s.replace(/:\d+ /, ' '));
  assert.deepEqual(found, expectedIn(folder, 'mypkg/blocks.py'), r.stderr);
  // `exclude = ["legacy"]`: named explicitly, the file is still checked (as Ruff does), and fires.
  const legacy = runCli(['check', 'legacy/old_block.py', '--format', 'json'], { cwd: folder });
  assert.deepEqual(
    summary(legacy.stdout).map((s) => s.split(' ')[1]),
    ['RG010'],
  );
});

test('check FILE: imports resolve into files beside it that were not named', () => {
  const folder = copyFixture('project');
  const r = runCli(['check', 'blocks.py', '--format', 'json'], { cwd: path.join(folder, 'mypkg') });
  assert.deepEqual(
    summary(r.stdout).map((s) => s.replace(/:\d+ /, ' ')),
    expectedIn(folder, 'mypkg/blocks.py').map((s) => s.replace('mypkg/', '')),
    r.stderr,
  );
});

test('check --fix applies the cross-file fix, and a second run finds it fixed', () => {
  const folder = copyFixture('project');
  runCli(['check', '.', '--fix', '--unsafe-fixes', '--select', 'RG002'], { cwd: folder });
  const blocks = fs.readFileSync(path.join(folder, 'mypkg', 'blocks.py'), 'utf8');
  assert.match(blocks, /Attention\(dim, proj_drop=drop\)/);
  const again = runCli(['check', '.', '--format', 'json', '--select', 'RG002'], { cwd: folder });
  assert.deepEqual(summary(again.stdout), [], again.stdout);
});

test('each folder of a multi-folder check uses its own pyproject.toml', () => {
  const folder = copyFixture('multi-root');
  const r = runCli(['check', 'alpha', 'beta', '--format', 'json'], { cwd: folder });
  // alpha selects only RG010 and fires it across files; beta ignores RG010 and keeps RG007.
  assert.deepEqual(
    summary(r.stdout).map((s) => s.replace(/:\d+ /, ' ')),
    [...expectedIn(folder, 'alpha/src/alpha_models/block.py'), ...expectedIn(folder, 'beta/beta_models/head.py')],
    r.stderr,
  );
});

test('a file too deep to parse is left out of the index, and every other file is still checked across files', () => {
  const folder = copyFixture('project');
  // Uses torch's dropout, so the index and the check parse it; nested far beyond what CPython accepts, so the
  // parser refuses it.
  fs.writeFileSync(
    path.join(folder, 'mypkg', 'aaa_deep.py'),
    `import torch.nn as nn\ndrop = nn.Dropout(0.1)\nx = ${'('.repeat(3000)}1${')'.repeat(3000)}\n`,
  );
  const r = runCli(['check', '.', '--format', 'json'], { cwd: folder });
  assert.match(r.stderr, /aaa_deep\.py: not checked: it is nested more than/);
  assert.equal(r.stderr.match(/not checked/g)?.length, 1, r.stderr);
  assert.deepEqual(
    summary(r.stdout).map((s) => s.replace(/:\d+ /, ' ')),
    expectedIn(folder, 'mypkg/blocks.py'),
    r.stderr,
  );
  const profiled = runCli(['profile', '--backend', 'cpu', '--shape', '2,4,8', 'mypkg/aaa_deep.py'], { cwd: folder });
  assert.match(profiled.stderr, /aaa_deep\.py: not profiled: it is nested more than/);
});

/** The vit-layers block with a second drop path and head drop built and never used, as DINOv2's `drop_path2`. */
function withUnusedCopies(folder: string): string {
  const block = path.join(folder, 'vitpkg', 'layers', 'block.py');
  const text = fs.readFileSync(block, 'utf8');
  fs.writeFileSync(
    block,
    text.replace(
      '        self.head_drop = RowDrop(p=head_drop)\n',
      '        self.head_drop = RowDrop(p=head_drop)\n' +
        '        self.drop_path2 = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()\n' +
        '        self.head_drop2 = RowDrop(head_drop)\n',
    ),
  );
  return block;
}

test("check: the package's own regularizer classes, built in another file and never used, are RG007", () => {
  const folder = copyFixture('vit-layers');
  withUnusedCopies(folder);
  const check = (cwd: string, file: string) =>
    parseJson(runCli(['check', '--format', 'json', file], { cwd }).stdout)
      .diagnostics.filter((d) => d.code === 'RG007')
      .map((d) => `${d.line} ${d.severity} ${d.message.split(' is created')[0]}`);
  const both = ['15 warning `self.drop_path2` (DropPath)', '16 warning `self.head_drop2` (RowDrop)'];
  assert.deepEqual(check(folder, path.join('vitpkg', 'layers', 'block.py')), both);
  // Namespace packages (no __init__.py, as the corpus copy of DINOv2 has them), from the file's own folder too.
  fs.rmSync(path.join(folder, 'vitpkg', 'layers', '__init__.py'));
  fs.rmSync(path.join(folder, 'vitpkg', '__init__.py'));
  assert.deepEqual(check(path.join(folder, 'vitpkg', 'layers'), 'block.py'), both);
  // A DropPath whose forward draws nothing is no regularizer: its copy unused is none of RG007's business.
  const dropPath = path.join(folder, 'vitpkg', 'layers', 'drop_path.py');
  fs.writeFileSync(
    dropPath,
    fs.readFileSync(dropPath, 'utf8').replace('return drop_path(x, self.drop_prob, self.training)', 'return x'),
  );
  assert.deepEqual(check(folder, path.join('vitpkg', 'layers', 'block.py')), [both[1]]);
});

test('profile FILE measures the regularizer classes of other files of the package where FILE builds them', () => {
  const folder = copyFixture('vit-layers');
  const r = runCli(
    ['profile', '--backend', 'cpu', '--shape', '8,4,8', '--format', 'json', path.join('vitpkg', 'layers', 'block.py')],
    { cwd: folder },
  );
  assert.equal(r.code, 0, r.stderr);
  const sites = (
    JSON.parse(r.stdout) as {
      sites: Array<{ line: number; site: string; kind: string; rateSource: string; result: ProfileResult }>;
    }
  ).sites;
  assert.deepEqual(
    sites.map((s) => [s.line, s.site, s.kind, s.rateSource]),
    [
      // DINOv2's DropPath (drop_path.py), run as its own code with the rate the block passes.
      [13, 'DropPath(drop_path) (its code)', 'implementation', 'rate 0.25: drop_prob ← drop_path=0.25 (default)'],
      // A module over torchvision's stochastic_depth (stochastic.py): that regularizer at the rate passed.
      [14, 'RowDrop(p=head_drop)', 'module', 'self.p ← p ← head_drop=0.2 (default)'],
    ],
  );
  for (const s of sites) {
    assert.ok(s.result.train.rateInside, `${s.site}: the passed rate lies in ${s.result.train.interval}`);
    assert.ok(s.result.eval.identity, `${s.site}: identity in evaluation`);
  }
  assert.equal(sites[0].result.implementation?.granularity.train, 'sample');
  // In text, the rows say what they are: no "as read" row here, so no word of two rows.
  const text = runCli(['profile', '--backend', 'cpu', '--shape', '8,4,8', path.join('vitpkg', 'layers', 'block.py')], {
    cwd: folder,
  }).stdout;
  assert.match(text, /Where a regularizer class of your own is built \(`DropPath`, `RowDrop`\), the row is that class/);
  assert.doesNotMatch(text, /two rows/);
  // A workspace that vendors timm: timm's DropPath has its library site, and only that one.
  fs.mkdirSync(path.join(folder, 'timm', 'layers'), { recursive: true });
  fs.writeFileSync(path.join(folder, 'timm', '__init__.py'), '');
  fs.copyFileSync(
    path.join(folder, 'vitpkg', 'layers', 'drop_path.py'),
    path.join(folder, 'timm', 'layers', 'drop.py'),
  );
  fs.writeFileSync(path.join(folder, 'timm', 'layers', '__init__.py'), 'from .drop import DropPath, drop_path\n');
  fs.writeFileSync(
    path.join(folder, 'vendored.py'),
    'from torch import nn\nfrom timm.layers import DropPath\n\n\nclass Block(nn.Module):\n' +
      '    def __init__(self, drop_path=0.1):\n        super().__init__()\n' +
      '        self.drop_path = DropPath(drop_path)\n',
  );
  const vendored = runCli(['profile', '--backend', 'cpu', '--shape', '8,4,8', '--format', 'json', 'vendored.py'], {
    cwd: folder,
  });
  assert.deepEqual(
    (JSON.parse(vendored.stdout) as { sites: Array<{ line: number; kind: string }> }).sites.map((s) => [
      s.line,
      s.kind,
    ]),
    [[8, 'module']],
    vendored.stderr,
  );
  // Without the packages' __init__.py (namespace packages, as the corpus copy of DINOv2 has them) the relative
  // imports are read by folder, as Python reads them there: the same two sites, named from here or from the file's
  // own folder.
  fs.rmSync(path.join(folder, 'vitpkg', 'layers', '__init__.py'));
  fs.rmSync(path.join(folder, 'vitpkg', '__init__.py'));
  for (const [cwd, file] of [
    [folder, path.join('vitpkg', 'layers', 'block.py')],
    [path.join(folder, 'vitpkg', 'layers'), 'block.py'],
  ]) {
    const alone = runCli(['profile', '--backend', 'cpu', '--shape', '8,4,8', '--format', 'json', file], { cwd });
    assert.deepEqual(
      (JSON.parse(alone.stdout) as { sites: Array<{ line: number; kind: string }> }).sites.map((s) => [s.line, s.kind]),
      [
        [13, 'implementation'],
        [14, 'module'],
      ],
      alone.stderr,
    );
  }
});

test("profile: fairseq's FairseqDropout where the package builds it, by either import, off in evaluation", () => {
  const folder = copyFixture('fairseq-modules');
  const profile = (file: string) => {
    const r = runCli(['profile', '--backend', 'cpu', '--shape', '8,64,32', '--format', 'json', file], { cwd: folder });
    assert.equal(r.code, 0, r.stderr);
    return (
      JSON.parse(r.stdout) as {
        sites: Array<{ line: number; site: string; kind: string; rateSource: string; result: ProfileResult }>;
      }
    ).sites;
  };
  const layer = profile(path.join('fairseq', 'modules', 'transformer_sentence_encoder_layer.py'));
  const head = profile(path.join('fairseq', 'modules', 'sentence_head.py'));
  assert.deepEqual(
    [...layer, ...head].map((s) => [s.line, s.kind, s.rateSource]),
    [
      [10, 'module', 'self.p ← p ← dropout=0.1 (default)'],
      [11, 'module', 'self.p ← p ← activation_dropout=0.2 (default)'],
      [9, 'module', 'self.p ← p ← pooler_dropout=0.3 (default)'],
    ],
  );
  for (const s of [...layer, ...head]) {
    assert.ok(s.result.train.rateInside, `${s.site}: the passed rate lies in ${s.result.train.interval}`);
    assert.ok(s.result.eval.identity, `${s.site}: identity in evaluation, as the module is built`);
  }
  // The definition's own call has training=True, under a condition false in evaluation as the module is built.
  const [definition] = profile(path.join('fairseq', 'modules', 'fairseq_dropout.py'));
  assert.equal(definition.line, 20);
  assert.ok(definition.result.eval.identity, 'apply_during_inference is False in __init__');
  // Built to drop at inference too, it is measured so.
  const source = path.join(folder, 'fairseq', 'modules', 'fairseq_dropout.py');
  fs.writeFileSync(
    source,
    fs
      .readFileSync(source, 'utf8')
      .replace('self.apply_during_inference = False', 'self.apply_during_inference = True'),
  );
  const retained = profile(path.join('fairseq', 'modules', 'sentence_head.py'));
  assert.equal(retained[0].result.eval.identity, false, 'dropout at inference, as built');
});
