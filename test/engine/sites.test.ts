import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { FileModel } from '../../server/engine/model';
import { initParser, SourceFile } from '../../server/engine/parser';
import { inferFileShape, parseShape } from '../../server/engine/shapes';
import { planSites } from '../../server/engine/sites';

before(() => initParser());

function plan(text: string, setting?: number[]) {
  const file = new SourceFile(text);
  try {
    return planSites(new FileModel(file), setting).map((p) => ({ line: p.site.range.start.line, kind: p.site.kind, kernel: p.site.kernel, rate: p.site.rateSource, eval: p.site.activeInEval, shape: p.shape, from: p.shapeSource }));
  } finally {
    file.dispose();
  }
}

const VIT = `import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.layers import DropPath
from torchvision.ops import StochasticDepth

class VisionTransformer(nn.Module):
    def __init__(self, img_size=224, patch_size=16, embed_dim=384, depth=12, num_heads=6, drop_path_rate=0.1, drop_rate=0.0):
        super().__init__()
        dpr = [x.item() for x in torch.linspace(0, drop_path_rate, depth)]
        self.pos_drop = nn.Dropout(p=drop_rate)
        self.path = DropPath(dpr[-1], scale_by_keep=False)
        self.sd = StochasticDepth(0.2, "batch")
        self.alpha = nn.AlphaDropout()

    def forward(self, x):
        x = self.pos_drop(x)
        x = F.scaled_dot_product_attention(x, x, x, dropout_p=0.1 if self.training else 0.0)
        x = F.scaled_dot_product_attention(x, x, x, dropout_p=0.1)
        return F.dropout2d(x, 0.3, training=self.training)
`;

test('sites: constructions, calls of regularizer submodules, functional calls and the linspace schedule', () => {
  const sites = plan(VIT);
  assert.deepEqual(
    sites.map((s) => [s.line, s.kind, s.kernel.kind]),
    [
      [9, 'schedule', 'schedule'],
      [10, 'module', 'dropout'],
      [11, 'module', 'drop-path'],
      [12, 'module', 'drop-path'],
      [13, 'module', 'alpha-dropout'],
      [16, 'call', 'dropout'],
      [17, 'call', 'attention-dropout'],
      [18, 'call', 'attention-dropout'],
      [19, 'call', 'channel-dropout'],
    ],
  );
  assert.deepEqual(sites[0].kernel, { kind: 'schedule', rate: 0.1, depth: 12 });
  assert.equal(sites[0].rate, 'drop_path_rate=0.1 (default), depth=12 (default)');
  assert.deepEqual(sites[1].kernel, { kind: 'dropout', p: 0 });
  assert.deepEqual(sites[2].kernel, { kind: 'drop-path', p: 0.1, mode: 'row', scaleByKeep: false });
  assert.match(sites[2].rate, /not known statically; assumed 0\.1/);
  assert.deepEqual(sites[3].kernel, { kind: 'drop-path', p: 0.2, mode: 'batch', scaleByKeep: true });
  assert.deepEqual(sites[4].kernel, { kind: 'alpha-dropout', p: 0.5 });
  assert.equal(sites[4].rate, 'p=0.5 (PyTorch default)');
  assert.deepEqual(sites[6].kernel, { kind: 'attention-dropout', p: 0.1, numHeads: 6, placement: 'probs' });
  assert.deepEqual(sites.map((s) => s.eval), [false, false, false, false, false, false, false, true, false], 'only the ungated dropout_p stays on in eval');
});

test('shapes: img_size/patch_size give the token count, embed_dim the channels', () => {
  assert.deepEqual(plan(VIT)[1].shape, [8, 196, 384]);
  assert.equal(plan(VIT)[1].from, 'from embed_dim=384, img_size=224/patch_size=16 → 196 tokens');
  const gpt = inferFileShape('class GPTConfig:\n    block_size: int = 1024\n    n_embd: int = 768\n    n_head: int = 12\n');
  assert.deepEqual(gpt.inferred.shape, [8, 1024, 768]);
  assert.equal(gpt.numHeads, 12);
  assert.deepEqual(inferFileShape('x = 1\n').inferred, { shape: [8, 256, 768], source: 'default' });
});

test('shapes: a `# reglens: shape=` comment wins over the setting, which wins over inference', () => {
  const text = VIT.replace('self.pos_drop = nn.Dropout(p=drop_rate)', 'self.pos_drop = nn.Dropout(p=drop_rate)  # reglens: shape=[2, 50, 64]');
  const sites = plan(text, [4, 8, 16]);
  assert.deepEqual(sites[1].shape, [2, 50, 64]);
  assert.equal(sites[1].from, '# reglens: shape comment');
  assert.deepEqual(sites[2].shape, [4, 8, 16]);
  assert.equal(sites[2].from, 'reglens.profiler.shape setting');
  assert.deepEqual(parseShape('[8, 256, 768]'), [8, 256, 768]);
  assert.deepEqual(parseShape('8x256x768'), [8, 256, 768]);
  assert.equal(parseShape('[8, -1]'), undefined);
  assert.equal(parseShape('[]'), undefined);
});

test('rates: literals, parameter defaults, self attributes and config fields', () => {
  const text = `import torch.nn as nn
import torch.nn.functional as F
DROP = 0.05

class Config:
    dropout: float = 0.15

class M(nn.Module):
    def __init__(self, config, p=0.25):
        super().__init__()
        self.p = p
        self.a = nn.Dropout(config.dropout)
        self.b = nn.Dropout(DROP)
        self.c = nn.Dropout(1.5)

    def forward(self, x):
        return F.dropout(x, self.p, self.training)
`;
  const sites = plan(text);
  assert.deepEqual(sites.map((s) => [s.rate, (s.kernel as { p: number }).p]), [
    ['dropout=0.15 (config default)', 0.15],
    ['DROP=0.05', 0.05],
    ['1.5', 1.5],
    ['self.p ← p=0.25 (default)', 0.25],
  ]);
  assert.equal(sites[3].eval, false, 'training passed positionally as self.training');
});
