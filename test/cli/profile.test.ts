// `reglens profile` through the real bundle: sites found from the code, shapes from comments and flags, figures
// from the worker, errors as messages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeTree, runCli } from './helpers';
import { joined } from '../patterns';

const MODEL = `import torch.nn as nn
import torch.nn.functional as F
from timm.layers import DropPath

class Config:
    n_embd: int = 64
    block_size: int = 32
    dropout: float = 0.2

class Block(nn.Module):
    def __init__(self, config, drop_path: float = 0.25):
        super().__init__()
        self.drop = nn.Dropout(config.dropout)
        self.path = DropPath(drop_path)  # reglens: shape=[128, 4, 8]

    def forward(self, x):
        x = F.dropout(x, 0.3)
        return self.path(self.drop(x))
`;

test('profile prints one aligned line per site under its file, naming the backend once', () => {
  const dir = makeTree({ 'model.py': MODEL });
  const r = runCli(['profile', 'model.py', '--backend', 'cpu'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0], /^Profiling on cpu \(.+\)\.$/);
  assert.equal(r.stdout.split('cpu (').length - 1, 1, 'the backend is named once, not on every line');
  assert.equal(lines[2], 'model.py');
  const sites = lines.slice(3, lines.indexOf('', 3));
  assert.deepEqual(
    sites.map((l) => l.trim().split(/\s+/)[0]),
    ['13:21', '14:21', '17:13', '18:16', '18:26'],
  );
  assert.match(
    sites[0],
    joined(
      /^ {2}13:21 +nn\.Dropout\(config\.dropout\) +\[8, 32, 64\] +train: 20\.\d% dropped · mean ×\d\.\d\d \| ev/,
      /al: identity \| [\d.]+ ms$/,
    ),
  );
  assert.match(sites[1], /^ {2}14:21 +DropPath\(drop_path\) +\[128, 4, 8\] +train: \d+\.\d% samples dropped/);
  // F.dropout without training=self.training keeps dropping in evaluation: the line says so.
  assert.match(sites[2], / eval: STILL ACTIVE, \d+\.\d% dropped/);
  const columns = sites.map((l) => l.indexOf('['));
  assert.ok(
    columns.every((c) => c === columns[0]),
    `shapes aligned: ${columns}`,
  );
  assert.match(r.stdout, /^--details shows every measurement of each site\.$/m);
});

test('profile --details adds where the shape and rate came from and every measurement', () => {
  const dir = makeTree({ 'model.py': MODEL });
  const r = runCli(['profile', 'model.py', '--backend', 'cpu', '--details'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\n {9}shape: from n_embd=64, block_size=32; dropout=0\.2 \(config default\)\n/);
  assert.match(r.stdout, /\n {9}shape: # reglens: shape comment; drop_path=0\.25 \(default\)\n/);
  assert.match(r.stdout, /rate 0\.2 inside +yes/);
  assert.match(r.stdout, /time per call [\d.]+ ms \(median of \d+/);
  assert.doesNotMatch(r.stdout, /--details shows/);
});

test('profile --format json gives the figures per site', () => {
  const dir = makeTree({ 'model.py': MODEL });
  const r = runCli(['profile', 'model.py', '--backend', 'cpu', '--format', 'json', '--shape', '4,16,32'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout) as {
    version: number;
    sites: Array<{
      line: number;
      site: string;
      result: {
        shape: number[];
        train: { rateInside: boolean; interval: [number, number] };
        eval: { identity: boolean };
        backend: string;
      };
    }>;
  };
  assert.equal(json.version, 1);
  assert.deepEqual(
    json.sites.map((s) => s.line),
    [13, 14, 17, 18, 18],
  );
  const drop = json.sites[0];
  assert.deepEqual(drop.result.shape, [4, 16, 32], '--shape applies where no comment is');
  assert.equal(drop.result.train.rateInside, true);
  assert.equal(drop.result.eval.identity, true);
  assert.deepEqual(json.sites[1].result.shape, [128, 4, 8], 'the comment wins over --shape');
  assert.equal(json.sites[2].result.eval.identity, false, 'F.dropout without training= is active in eval');
});

test('profile reports a shape over the memory budget as a message, and bad flags as usage errors', () => {
  const dir = makeTree({ 'model.py': MODEL });
  const r = runCli(['profile', 'model.py', '--backend', 'cpu', '--shape', '64,1024,1024', '--memory-budget-mb', '16'], {
    cwd: dir,
  });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /not profiled: Shape \[64,1024,1024\] needs 1\.50 GiB \(1610612736 bytes\)/);
  // The CLI names its own flag, not the editor's setting.
  assert.match(r.stdout, /memory budget of 16\.0 MiB \(--memory-budget-mb\)/);
  assert.doesNotMatch(r.stdout, /reglens\.profiler/);
  const bad = runCli(['profile', 'model.py', '--backend', 'tpu'], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--backend must be one of auto, cuda, webgpu, wasm, cpu/);
  const missing = runCli(['profile', 'nope.py'], { cwd: dir });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.py: no such file/);
});

const HAND_WRITTEN = `import numpy as np
import torch
import torch.nn as nn


class DropPath(nn.Module):
    def __init__(self, drop_prob=0.1):
        super().__init__()
        self.keep_prob = 1 - drop_prob

    def forward(self, x):
        if not self.training:
            return x
        mask = torch.empty(x.shape, device=x.device).bernoulli_(self.keep_prob)
        return x * mask.div(self.keep_prob)


def drop_block(x, drop_prob=0.1, training=True):
    if not training:
        return x
    gate = np.random.binomial(1, 1 - drop_prob)
    return x * gate / (1 - drop_prob)
`;

test("profile runs each hand-written regularizer's own code too, and says what contradicts its name", () => {
  const dir = makeTree({ 'reg.py': HAND_WRITTEN });
  const r = runCli(['profile', 'reg.py', '--backend', 'cpu', '--shape', '8,16,32', '--details'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, /\n {2}6:7 +class DropPath \(as read\) +\[8, 16, 32\] +train: /);
  assert.match(
    out,
    joined(
      /\n {2}6:7 +class DropPath \(its code\) +\[8, 16, 32\] +train: \d+\.\d% dropped \(per element\) · mean ×/,
      /\d\.\d\d \| eval: identity/,
    ),
  );
  assert.match(
    out,
    joined(
      /\n {8}granularity: its name promises one decision per sample, but the code makes one decision per elemen/,
      /t: \d+\.\d% of values dropped, 0\.0% of samples dropped whole\n/,
    ),
  );
  assert.match(out, /\n {8}shape: reglens\.profiler\.shape setting; rate 0\.1 from its arguments\n/);
  assert.match(out, /mask granularity \(measured\) +one decision per element +nothing dropped/);
  // Outside the interpreted subset: said once, with the construct and its line; not a profiler failure (exit 0).
  assert.match(
    out,
    joined(
      /\n {2}18:5 +def drop_block\(…\) \(its code\) +not profiled: uses `np\.random\.binomial` at line 21 \(uns/,
      /upported\)\n/,
    ),
  );
  // Why there are two rows, said once.
  assert.equal(out.split('A hand-written regularizer has two rows').length - 1, 1);

  const json = JSON.parse(
    runCli(['profile', 'reg.py', '--backend', 'cpu', '--shape', '8,16,32', '--format', 'json'], { cwd: dir }).stdout,
  ) as {
    sites: Array<{
      kind: string;
      line: number;
      notProfiled?: string;
      result?: { implementation?: { granularity: { train: string } } };
    }>;
  };
  const implementations = json.sites.filter((s) => s.kind === 'implementation');
  assert.deepEqual(
    implementations.map((s) => s.line),
    [6, 18],
  );
  assert.equal(implementations[0].result?.implementation?.granularity.train, 'element');
  assert.equal(implementations[1].notProfiled, 'not profiled: uses `np.random.binomial` at line 21 (unsupported)');
});

/** nbformat 4 JSON of code and markdown cells, sources as lists of lines as Jupyter writes them. */
function notebookJson(cells: Array<{ type: 'code' | 'markdown'; source: string }>, language = 'python'): string {
  const lines = (s: string) => s.split(/(?<=\n)/);
  return JSON.stringify(
    {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { language_info: { name: language } },
      cells: cells.map((c) => ({
        cell_type: c.type,
        metadata: {},
        source: lines(c.source),
        ...(c.type === 'code' ? { outputs: [], execution_count: null } : {}),
      })),
    },
    null,
    1,
  );
}

test('profile reads notebooks: sites across code cells, reported in their cell as check reports them', () => {
  const [imports, rest] = [MODEL.slice(0, MODEL.indexOf('class Config')), MODEL.slice(MODEL.indexOf('class Config'))];
  const dir = makeTree({
    'model.ipynb': notebookJson([
      { type: 'markdown', source: '# A model\n' },
      { type: 'code', source: imports },
      { type: 'code', source: `%matplotlib inline\n${rest}` },
    ]),
    'broken.ipynb': '{"cells": [',
    'r.ipynb': notebookJson([{ type: 'code', source: 'x <- 1\n' }], 'r'),
  });
  const text = runCli(['profile', 'model.ipynb', '--backend', 'cpu'], { cwd: dir });
  assert.equal(text.code, 0, text.stderr);
  // Cell 3 of the notebook's cells array, counted from 1 (the markdown cell is 1); line 14 of the file is line 10
  // of that cell after the magic line.
  assert.match(text.stdout, /\nmodel\.ipynb\n {2}cell 3:10:21 +nn\.Dropout\(config\.dropout\) +\[8, 32, 64\] +train: /);
  assert.match(
    text.stdout,
    /\n {2}cell 3:14:13 +F\.dropout\(x, 0\.3\) +\[8, 32, 64\] +train: [^\n]*\| eval: STILL ACTIVE/,
  );
  const check = runCli(['check', 'model.ipynb'], { cwd: dir });
  assert.match(check.stdout, /model\.ipynb:cell 3:14:13: RG006/, 'check and profile agree on where the site is');

  const json = runCli(['profile', 'model.ipynb', '--backend', 'cpu', '--format', 'json'], { cwd: dir });
  const sites = (JSON.parse(json.stdout) as { sites: Array<{ cell: number; line: number; column: number }> }).sites;
  assert.deepEqual(
    sites.map((s) => [s.cell, s.line, s.column]),
    [
      [3, 10, 21],
      [3, 11, 21],
      [3, 14, 13],
      [3, 15, 16],
      [3, 15, 26],
    ],
  );

  const bad = runCli(['profile', 'broken.ipynb', 'r.ipynb', '--backend', 'cpu'], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /error: broken\.ipynb: not a valid notebook: invalid JSON/);
  assert.match(bad.stderr, /warning: r\.ipynb: not profiled: a r notebook, not Python/);
});
