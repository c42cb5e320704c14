// Module summaries and the forward data flow, checked on small models in the styles the structure rules meet.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { FileModel } from '../../server/engine/model';
import { initParser, SourceFile } from '../../server/engine/parser';
import { nonZeroRateNames } from '../../server/engine/flow/names';
import { compoundRate } from '../../server/engine/flow/rates';
import type { ModuleSummary } from '../../server/engine/flow/types';

before(() => initParser());

function withModel<T>(source: string, fn: (model: FileModel) => T): T {
  const file = new SourceFile(source);
  try {
    return fn(new FileModel(file));
  } finally {
    file.dispose();
  }
}

function summaryOf(
  source: string,
  name: string,
): Pick<ModuleSummary, 'output' | 'role' | 'preservesInput' | 'passthrough'> & {
  rate?: string;
  dropoutParameter?: string;
} {
  return withModel(source, (model) => {
    const s = model.forward.summary(model.classes.get(name)!);
    return {
      output: s.output,
      role: s.role,
      preservesInput: s.preservesInput,
      passthrough: s.passthrough,
      rate: s.lastDrop?.rate?.text,
      dropoutParameter: s.outputDropout?.name,
    };
  });
}

const HEADER = 'import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n';

describe('module summaries', () => {
  test('nanoGPT attention ends with its residual dropout; the rate comes from the config', () => {
    const source = `${HEADER}
class CausalSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.c_proj = nn.Linear(config.n_embd, config.n_embd)
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        y = x.transpose(1, 2)
        return self.resid_dropout(self.c_proj(y))
`;
    assert.deepEqual(summaryOf(source, 'CausalSelfAttention'), {
      output: 'regularized',
      role: 'attention',
      preservesInput: false,
      passthrough: undefined,
      rate: 'config.dropout',
      dropoutParameter: undefined,
    });
  });

  test('a projection after the dropout makes the output unregularized', () => {
    const source = `${HEADER}
class Attention(nn.Module):
    def __init__(self, dim, proj_drop=0.1):
        super().__init__()
        self.drop = nn.Dropout(proj_drop)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        return self.proj(self.drop(x))
`;
    assert.equal(summaryOf(source, 'Attention').output, 'unregularized');
  });

  test('timm-style proj_drop is the constructor parameter that drops the output', () => {
    const source = `${HEADER}
class Attention(nn.Module):
    def __init__(self, dim, num_heads=8, attn_drop=0.0, proj_drop=0.0):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x):
        x = self.proj(x)
        x = self.proj_drop(x)
        return x
`;
    const s = summaryOf(source, 'Attention');
    assert.equal(s.output, 'regularized');
    assert.equal(s.dropoutParameter, 'proj_drop');
  });

  test('a Sequential ending in dropout, and a function returning one (lucidrains FeedForward)', () => {
    const source = `${HEADER}
def FeedForward(dim, mult=4, dropout=0.0):
    return nn.Sequential(nn.Linear(dim, dim * mult), nn.GELU(), nn.Linear(dim * mult, dim), nn.Dropout(dropout))

class Block(nn.Module):
    def __init__(self, dim, dropout=0.1):
        super().__init__()
        self.ff = FeedForward(dim, dropout=dropout)
        self.mlp = nn.Sequential(nn.Linear(dim, dim), nn.Dropout(dropout), nn.GELU())
        self.plain = nn.Sequential(nn.Linear(dim, dim), nn.GELU())

    def forward(self, x):
        return self.ff(x)
`;
    withModel(source, (model) => {
      const block = model.classes.get('Block')!;
      const ff = model.forward.describeAttribute(block, 'ff');
      assert.equal(ff.output, 'regularized');
      assert.equal(ff.lastDrop?.owner, 'FeedForward');
      assert.equal(ff.lastDrop?.rate?.text, 'dropout');
      // An activation after the dropout keeps zeros zero: still regularized.
      assert.equal(model.forward.describeAttribute(block, 'mlp').output, 'regularized');
      assert.equal(model.forward.describeAttribute(block, 'plain').output, 'unregularized');
      assert.equal(model.forward.summary(block).output, 'regularized');
    });
  });

  test('PreNorm(dim, fn) hands through to fn; LayerScale preserves its input', () => {
    const source = `${HEADER}
class PreNorm(nn.Module):
    def __init__(self, dim, fn):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fn = fn

    def forward(self, x, **kwargs):
        return self.fn(self.norm(x), **kwargs)

class LayerScale(nn.Module):
    def __init__(self, dim, init_values=1e-5):
        super().__init__()
        self.gamma = nn.Parameter(init_values * torch.ones(dim))

    def forward(self, x):
        return x * self.gamma

class Block(nn.Module):
    def __init__(self, dim, heads, dropout=0.1):
        super().__init__()
        self.attn = PreNorm(dim, nn.MultiheadAttention(dim, heads, dropout=dropout))
        self.ff = PreNorm(dim, nn.Sequential(nn.Linear(dim, dim), nn.Dropout(dropout)))

    def forward(self, x):
        return x
`;
    assert.equal(summaryOf(source, 'PreNorm').passthrough, 'fn');
    assert.equal(summaryOf(source, 'LayerScale').preservesInput, true);
    withModel(source, (model) => {
      const block = model.classes.get('Block')!;
      // nn.MultiheadAttention(dropout=…) drops attention weights only.
      assert.deepEqual(
        [model.forward.describeAttribute(block, 'attn').output, model.forward.describeAttribute(block, 'attn').role],
        ['unregularized', 'attention'],
      );
      assert.equal(model.forward.describeAttribute(block, 'ff').output, 'regularized');
    });
  });

  test('library layers from the table: timm Mlp(drop=…), torchvision MLP(dropout=…), TransformerEncoderLayer', () => {
    const source = `import torch.nn as nn
from timm.layers import Mlp
from torchvision.ops import MLP

class Block(nn.Module):
    def __init__(self, dim, drop=0.1):
        super().__init__()
        self.a = Mlp(dim, dim * 4, drop=drop)
        self.b = Mlp(dim, dim * 4)
        self.c = Mlp(dim, dim * 4, drop=0.0)
        self.d = MLP(dim, [dim * 4, dim], dropout=drop)
        self.e = nn.TransformerEncoderLayer(dim, 8)

    def forward(self, x):
        return x
`;
    withModel(source, (model) => {
      const block = model.classes.get('Block')!;
      const out = (n: string) => model.forward.describeAttribute(block, n).output;
      assert.deepEqual(['a', 'b', 'c', 'd', 'e'].map(out), [
        'regularized',
        'unregularized',
        'unregularized',
        'regularized',
        'regularized',
      ]);
    });
  });

  test('a class from another file is unknown', () => {
    const source = `import torch.nn as nn
from .layers import Attention

class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.attn = Attention(dim)

    def forward(self, x):
        return x + self.attn(x)
`;
    withModel(source, (model) =>
      assert.equal(model.forward.describeAttribute(model.classes.get('Block')!, 'attn').output, 'unknown'),
    );
  });
});

describe('forward data flow', () => {
  function flowOf(source: string, cls = 'M') {
    return withModel(source, (model) => {
      const c = model.classes.get(cls)!;
      const flows = model.forward.classFlows(c);
      return {
        residuals: [
          ...new Set(flows.flatMap((f) => f.residuals.map((r) => `${r.sublayer.label}@${r.add.startPosition.row}`))),
        ],
        doubles: [...new Set(flows.flatMap((f) => f.doubles.map((d) => `${d.inner.label}>${d.outer.label}`)))],
        logits: [...new Set(flows.flatMap((f) => f.logits.map((l) => l.drop.label)))],
        fusions: [
          ...new Set(
            flows.flatMap((f) =>
              f.fusions.filter((u) => !u.covered).map((u) => `${u.modality}@${u.merge.startPosition.row}`),
            ),
          ),
        ],
      };
    });
  }

  test('both branches of an if, early returns, and tuple unpacking are followed', () => {
    const source = `${HEADER}
class M(nn.Module):
    def __init__(self, dim, heads, p=0.1):
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads, dropout=p)
        self.drop = nn.Dropout(p)

    def forward(self, x, fast=False):
        if fast:
            return x
        if x.dim() == 2:
            out, _ = self.attn(x, x, x)
        else:
            out = self.drop(self.attn(x, x, x)[0])
        return x + out
`;
    // Undropped on one path: the add is reported.
    assert.deepEqual(flowOf(source).residuals, ['self.attn@17']);
  });

  test('index assignment, masked_scatter and torch.where merge modalities; a later dropout covers the fusion', () => {
    const source = `${HEADER}
class M(nn.Module):
    def __init__(self, vocab, dim, p=0.1):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, dim)
        self.drop = nn.Dropout(p)

    def forward(self, input_ids, image_features, audio_features, mask):
        h = self.drop(self.embed_tokens(input_ids))
        h[mask] = image_features
        g = self.drop(self.embed_tokens(input_ids))
        g = torch.where(mask, audio_features, g)
        g = self.drop(g)
        return h, g
`;
    assert.deepEqual(flowOf(source).fusions, ['image@12']);
  });

  test('in-place add and scalar scaling keep the sublayer output; a linear layer ends it', () => {
    const source = `${HEADER}
class M(nn.Module):
    def __init__(self, dim, p=0.1):
        super().__init__()
        self.ff = nn.Sequential(nn.Linear(dim, dim), nn.GELU())
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        y = self.ff(x) * 0.5
        x.add_(y)
        z = self.proj(self.ff(x))
        return x + z
`;
    assert.deepEqual(flowOf(source).residuals, ['self.ff@12']);
  });
});

describe('bounded work', () => {
  test('deeply nested loops are followed without exponential work, and the finding inside is still seen', () => {
    let body = '';
    let indent = '        ';
    for (let i = 0; i < 24; i++) {
      body += `${indent}for i${i} in range(3):\n`;
      indent += '    ';
    }
    body += `${indent}x = self.drop2(self.drop1(x))\n        return x\n`;
    const source = `${HEADER}
class M(nn.Module):
    def __init__(self, p=0.1):
        super().__init__()
        self.drop1 = nn.Dropout(p)
        self.drop2 = nn.Dropout(p)

    def forward(self, x):
${body}`;
    const doubles = withModel(source, (model) =>
      model.forward.classFlows(model.classes.get('M')!).flatMap((f) => f.doubles.map((d) => d.outer.label)),
    );
    assert.ok(doubles.includes('self.drop2'));
  });

  test('a method too large to follow is unknown: no findings, no exception', () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `        x${i} = self.drop(x)`).join('\n');
    const source = `${HEADER}
class M(nn.Module):
    def __init__(self, p=0.1):
        super().__init__()
        self.drop = nn.Dropout(p)

    def forward(self, x):
${lines}
        return self.drop(x0)
`;
    withModel(source, (model) => {
      const cls = model.classes.get('M')!;
      const [flow] = model.forward.classFlows(cls).filter((f) => f.returns.length > 0);
      assert.equal(flow.doubles.length, 0);
      assert.equal(model.forward.summary(cls).output, 'unknown');
    });
  });
});

test('the rates a file raises above 0 are its settings, not its comments or parameter defaults', () => {
  const text = [
    'x = 1  # dropout = 0.1',
    'config = dict(resid_pdrop=0.1, attn_pdrop=0.0)',
    'CFG = {"hidden_dropout_prob": 0.2}',
    'class C:',
    '    proj_drop: float = 0.3',
    'def f(dropout=0.1, drop_path=0.1): ...',
    'f(drop_path=0.2)',
  ].join('\n');
  const file = new SourceFile(text);
  try {
    const names = [...nonZeroRateNames(file.root)].sort();
    assert.deepEqual(names, ['drop_path', 'hidden_dropout_prob', 'proj_drop', 'resid_pdrop']);
  } finally {
    file.dispose();
  }
});

describe('compound rates in messages', () => {
  test('two known rates give a percentage; one outside [0, 1] is named, never a percentage over 100', () => {
    assert.equal(compoundRate({ text: '0.1', value: 0.1 }, { text: '0.1', value: 0.1 }), '19%');
    assert.equal(compoundRate({ text: '0.1', value: 0.1 }, { text: '1.5', value: 1.5 }), '1 - (1 - 0.1)(1 - 1.5)');
    assert.equal(compoundRate({ text: 'p', value: 0 }, { text: 'p', value: 0 }), '1 - (1 - p)²');
  });
});
