import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { before, test } from 'node:test';
import { FileModel } from '../../server/engine/model';
import { initParser, SourceFile } from '../../server/engine/parser';
import { inferFileShape, parseShape } from '../../server/engine/shapes';
import { planSites } from '../../server/engine/sites';

before(() => initParser());

function plan(text: string, setting?: number[]) {
  const file = new SourceFile(text);
  try {
    return planSites(new FileModel(file), setting).map((p) => ({
      line: p.site.range.start.line,
      kind: p.site.kind,
      kernel: p.site.kernel,
      rate: p.site.rateSource,
      eval: p.site.activeInEval,
      shape: p.shape,
      from: p.shapeSource,
    }));
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
  assert.deepEqual(
    sites.map((s) => s.eval),
    [false, false, false, false, false, false, false, true, false],
    'only the ungated dropout_p stays on in eval',
  );
});

test('shapes: img_size/patch_size give the token count, embed_dim the channels', () => {
  assert.deepEqual(plan(VIT)[1].shape, [8, 196, 384]);
  assert.equal(plan(VIT)[1].from, 'from embed_dim=384, img_size=224/patch_size=16 → 196 tokens');
  const gpt = inferFileShape(
    'class GPTConfig:\n    block_size: int = 1024\n    n_embd: int = 768\n    n_head: int = 12\n',
  );
  assert.deepEqual(gpt.inferred.shape, [8, 1024, 768]);
  assert.equal(gpt.numHeads, 12);
  assert.deepEqual(inferFileShape('x = 1\n').inferred, { shape: [8, 256, 768], source: 'default' });
});

test('shapes: a tensor axis (`dim=1`) or a count of class tokens is no width or sequence length', () => {
  // After DINOv2's layers/block.py, which concatenates with dim=1 before any config says a width, and its
  // vision_transformer.py, whose num_tokens=1 counts class tokens.
  const block = inferFileShape(
    'def get_attn_bias_and_cat(x_list):\n    cat_tensors = torch.cat(tensors_bs1, dim=1)\n\n' +
      'class Block(nn.Module):\n    def __init__(self, dim: int, num_heads: int, drop_path: float = 0.0):\n' +
      '        self.norm1 = norm_layer(dim)\n',
  );
  assert.deepEqual(block.inferred, { shape: [8, 256, 768], source: 'default' });
  const vit = inferFileShape(
    'x = torch.cat((cls_token, x), dim=1)\nclass DinoVisionTransformer(nn.Module):\n' +
      '    def __init__(self, img_size=224, patch_size=16, embed_dim=768, num_tokens=1):\n        pass\n',
  );
  assert.deepEqual(vit.inferred.shape, [8, 196, 768]);
  // A later declaration of the name still counts.
  assert.deepEqual(inferFileShape('y = x.sum(dim=2)\nclass FF:\n    dim: int = 512\n').inferred.shape, [8, 256, 512]);
});

test('shapes: a `# reglens: shape=` comment wins over the setting, which wins over inference', () => {
  const text = VIT.replace(
    'self.pos_drop = nn.Dropout(p=drop_rate)',
    'self.pos_drop = nn.Dropout(p=drop_rate)  # reglens: shape=[2, 50, 64]',
  );
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
  assert.deepEqual(
    sites.map((s) => [s.rate, (s.kernel as { p: number }).p]),
    [
      ['dropout=0.15 (config default)', 0.15],
      ['DROP=0.05', 0.05],
      ['1.5', 1.5],
      ['self.p ← p=0.25 (default)', 0.25],
    ],
  );
  assert.equal(sites[3].eval, false, 'training passed positionally as self.training');
});

const read = (path: string) => fs.readFileSync(path, 'utf8');
const ofKind = (text: string, kinds: string[], setting?: number[]) => {
  const file = new SourceFile(text);
  try {
    return planSites(new FileModel(file), setting).filter((p) => kinds.includes(p.site.kind));
  } finally {
    file.dispose();
  }
};

test('fusion sites: the text dropout of every RG001 finding, with text and image token counts', () => {
  const vl = ofKind(read('examples/vision_language.py'), ['fusion', 'call']);
  assert.deepEqual(
    vl.map((p) => [p.site.range.start.line + 1, p.site.kind, p.site.label]),
    [[17, 'fusion', 'self.dropout(self.embed_tokens(input_ids))']],
  );
  assert.deepEqual(vl[0].site.kernel, { kind: 'fusion', p: 0.1, textTokens: 60, placement: 'text-before-merge' });
  // No token count in the file: the stated default split, 60 text + 196 image tokens, at the file's width.
  assert.deepEqual(vl[0].shape, [8, 256, 512]);
  assert.match(vl[0].shapeSource, /default split: 60 text \+ 196 image \(224\/16 patches\) tokens/);
  for (const name of ['fire_llava', 'fire_hf', 'fire_minimind_v', 'fire_unconditional']) {
    const fused = ofKind(read(`test/rules/RG001/${name}.py`), ['fusion']);
    assert.ok(fused.length >= 1, `${name}: a fusion site`);
    for (const p of fused) assert.equal(p.site.kernel.kind, 'fusion');
  }
  assert.deepEqual(ofKind(read('test/rules/RG001/silent.py'), ['fusion']), [], 'no fusion site where RG001 is silent');
});

test('fusion sites: img_size/patch_size and block_size give the split; another shape keeps the text share', () => {
  const text = `import torch
import torch.nn as nn

class VLM(nn.Module):
    def __init__(self, dim=256, block_size=64, img_size=224, patch_size=32, p=0.2):
        super().__init__()
        self.tok = nn.Embedding(100, dim)
        self.vision_proj = nn.Linear(dim, dim)
        self.drop = nn.Dropout(p)

    def forward(self, input_ids, pixel_values):
        h = self.drop(self.tok(input_ids))
        h = torch.cat([self.vision_proj(pixel_values), h], dim=1)
        return h
`;
  const [site] = ofKind(text, ['fusion']);
  assert.deepEqual(site.site.kernel, { kind: 'fusion', p: 0.2, textTokens: 64, placement: 'text-before-merge' });
  assert.deepEqual(site.site.tokens, {
    text: 64,
    image: 49,
    source: '64 text tokens (block_size), 49 image tokens (img_size=224/patch_size=32)',
  });
  assert.deepEqual(site.shape, [8, 113, 256]);
  const [scaled] = ofKind(text, ['fusion'], [2, 226, 16]);
  assert.deepEqual(scaled.site.kernel, { kind: 'fusion', p: 0.2, textTokens: 128, placement: 'text-before-merge' });
  assert.deepEqual(scaled.shape, [2, 226, 16]);
});

test('attention-logits sites: every RG009 finding runs the logits-vs-probabilities kernel', () => {
  const gpt = ofKind(read('examples/gpt_attention.py'), ['attention-logits']);
  assert.deepEqual(
    gpt.map((p) => [p.site.range.start.line + 1, p.site.label, p.site.kernel]),
    [[23, 'self.attn_dropout(att)', { kind: 'attention-dropout', p: 0.1, numHeads: 12, placement: 'logits' }]],
  );
  const fire = ofKind(read('test/rules/RG009/fire.py'), ['attention-logits']);
  assert.equal(fire.length, 3);
  for (const p of fire) assert.equal((p.site.kernel as { placement: string }).placement, 'logits');
  assert.deepEqual(ofKind(read('test/rules/RG009/silent.py'), ['attention-logits']), []);
});

test(
  'hand-written sites: the derived semantics as the kernel, one site per class, skipped with a reason when not ' +
    'numeric',
  () => {
    const ex = ofKind(read('examples/handwritten_regularizers.py'), ['hand-written']);
    assert.deepEqual(
      ex.map((p) => [p.site.range.start.line + 1, p.site.label, p.site.kernel]),
      [
        [
          7,
          'def drop_path(…)',
          { kind: 'semantics', semantics: { granularity: 'batch', keepProb: 0.9, trainScale: 1 / 0.9, evalFactor: 1 } },
        ],
        [
          17,
          'class StochasticDepth',
          { kind: 'semantics', semantics: { granularity: 'sample', keepProb: 0.9, trainScale: 1, evalFactor: 1 } },
        ],
        [
          29,
          'class MyDropout',
          { kind: 'semantics', semantics: { granularity: 'element', keepProb: 0.5, trainScale: 2, evalFactor: 1 } },
        ],
      ],
    );
    assert.equal(ex[0].site.rateSource, 'keep 1 - drop_prob (drop_prob=0.1 default)');
    assert.ok(
      ex[1].site.scope && ex[1].site.scope.end.line > ex[1].site.range.end.line,
      'the scope covers the class body',
    );
    const rg4 = ofKind(read('test/rules/RG004/fire.py'), ['hand-written']);
    const skipped = rg4.filter((p) => p.site.notProfiled);
    assert.deepEqual(
      skipped.map((p) => p.site.label),
      ['def stochastic_depth_floor(…)', 'def drop_path_split(…)'],
    );
    assert.match(skipped[0].site.notProfiled!, /keep probability `1 - p` is not a number/);
    const rg3 = ofKind(read('test/rules/RG003/fire.py'), ['hand-written']);
    assert.match(
      rg3.find((p) => p.site.label === 'def drop_path_switchable(…)')!.site.notProfiled!,
      /granularity depends on `per_sample`/,
    );
    const rg5 = ofKind(read('test/rules/RG005/fire.py'), ['hand-written']);
    assert.deepEqual(rg5.find((p) => p.site.label === 'class DividesByP')!.site.kernel, {
      kind: 'semantics',
      semantics: { granularity: 'element', keepProb: 0.9, trainScale: 10, evalFactor: 1 },
    });
  },
);

// After DINO's vision_transformer.py (as vendored in unilm's beit2/vqkd_teacher/dino.py): the drop path lives in the
// model's file, a free function under a module, and `Block` builds it from its own `drop_path` argument.
const DINO = `import torch
import torch.nn as nn


def drop_path(x, drop_prob: float = 0., training: bool = False):
    if drop_prob == 0. or not training:
        return x
    keep_prob = 1 - drop_prob
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)  # work with diff dim tensors, not just 2D ConvNets
    random_tensor = keep_prob + torch.rand(shape, dtype=x.dtype, device=x.device)
    random_tensor.floor_()  # binarize
    output = x.div(keep_prob) * random_tensor
    return output


class DropPath(nn.Module):
    """Drop paths (Stochastic Depth) per sample  (when applied in main path of residual blocks).
    """
    def __init__(self, drop_prob=None):
        super(DropPath, self).__init__()
        self.drop_prob = drop_prob

    def forward(self, x):
        return drop_path(x, self.drop_prob, self.training)


class Mlp(nn.Module):
    def __init__(self, in_features, drop=0.):
        super().__init__()
        self.fc1 = nn.Linear(in_features, in_features)
        self.drop = nn.Dropout(drop)

    def forward(self, x):
        return self.drop(self.fc1(x))


class Block(nn.Module):
    def __init__(self, dim, drop=0., drop_path=0.1, dpr=None):
        super().__init__()
        self.mlp = Mlp(in_features=dim, drop=drop)
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.last = DropPath(dpr[-1])
        self.head = DropPath(drop_prob=0.25)

    def forward(self, x):
        x = x + self.drop_path(self.mlp(x))
        return self.head(self.last(x))
`;

test("constructions of the file's own drop path run its code with the construction's arguments", () => {
  const sites = plan(DINO);
  const at = (line: number) => sites.filter((s) => s.line === line);
  // `DropPath` is a regularizer (its forward applies the file's drop_path), `Mlp` is not (it merely holds one).
  assert.deepEqual(at(39), []);
  const [built] = at(40);
  assert.equal(built.kind, 'implementation');
  const initArgs = (line: number) => (at(line)[0].kernel as { program: { initArgs: unknown } }).program.initArgs;
  assert.deepEqual(initArgs(40), { drop_prob: 0.1 });
  assert.equal(built.rate, 'rate 0.1: drop_prob ← drop_path=0.1 (default)');
  // A rate that cannot be read is assumed, and said so; a keyword argument binds by name.
  assert.equal(
    at(41)[0].rate,
    'rate 0.1: `dpr[-1]`, passed as `drop_prob`, is not known statically; drop_prob=0.1 assumed',
  );
  assert.deepEqual(initArgs(42), { drop_prob: 0.25 });
  assert.equal(at(42)[0].rate, 'rate 0.25: drop_prob ← 0.25');
  // The calls run what the construction built, and `super(DropPath, self)` constructs nothing.
  assert.deepEqual([...at(45), ...at(46), ...at(19)], []);
  // The definition keeps its own two sites, at its defaults.
  assert.deepEqual(
    at(15).map((s) => s.kind),
    ['hand-written', 'implementation'],
  );
});

// After BEiT's modeling_finetune.py: the file's DropPath only hands timm's drop_path its input.
const BEIT = `import torch.nn as nn
from timm.models.layers import drop_path


class DropPath(nn.Module):
    """Drop paths (Stochastic Depth) per sample  (when applied in main path of residual blocks).
    """
    def __init__(self, drop_prob=None):
        super(DropPath, self).__init__()
        self.drop_prob = drop_prob

    def forward(self, x):
        return drop_path(x, self.drop_prob, self.training)

    def extra_repr(self) -> str:
        return 'p={}'.format(self.drop_prob)


class Block(nn.Module):
    def __init__(self, dim, drop_path=0.2):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def forward(self, x):
        return x + self.drop_path(self.fc(x))
`;

test("constructions of the file's own wrapper of timm's drop_path are timm's drop path at the passed rate", () => {
  const sites = plan(BEIT);
  // The call in DropPath's forward, at the rate its default leaves (unknown), and the construction in Block.
  assert.deepEqual(
    sites.map((s) => [s.line, s.kind, s.rate]),
    [
      [12, 'call', '`self.drop_prob` is not known statically; assumed 0.1'],
      [22, 'module', 'self.drop_prob ← drop_prob ← drop_path=0.2 (default)'],
    ],
  );
  assert.deepEqual(sites[1].kernel, { kind: 'drop-path', p: 0.2, mode: 'row', scaleByKeep: true });
  assert.equal(sites[1].eval, false, 'timm drop_path is given self.training');
});

// After fairseq's examples/laser/laser_src/laser_lstm.py and allennlp's t5.py: the base class comes from elsewhere
// (fairseq's FairseqEncoder, allennlp's TransformerModule), so the file cannot tell the class is an nn.Module; what
// `self.x` is inside it reads the same.
const FOREIGN_BASE = `import torch.nn as nn
import torch.nn.functional as F
from fairseq.models import FairseqEncoder


class LSTMEncoder(FairseqEncoder):
    def __init__(self, dictionary, embed_dim=512, dropout_in=0.1, dropout_out=0.1):
        super().__init__(dictionary)
        self.dropout_in = dropout_in
        self.dropout_out = dropout_out
        self.embed_tokens = nn.Embedding(len(dictionary), embed_dim)
        self.dropout = nn.Dropout(dropout_out)

    def forward(self, src_tokens, src_lengths):
        x = self.embed_tokens(src_tokens)
        x = F.dropout(x, p=self.dropout_in, training=self.training)
        return self.dropout(x)
`;

test('a class whose nn.Module base is in another file: self.x rates are read, submodule calls are sites', () => {
  assert.deepEqual(
    plan(FOREIGN_BASE).map((s) => [s.line, s.kind, s.rate]),
    [
      [11, 'module', 'dropout_out=0.1 (default)'],
      [15, 'call', 'self.dropout_in ← dropout_in=0.1 (default)'],
      [16, 'call', 'dropout_out=0.1 (default)'],
    ],
  );
});

// After fairseq's fairseq/models/wav2vec/wav2vec2.py: the config is a dataclass whose fields declare their defaults
// with `field(default=…, metadata=…)`, over one or several lines.
const FAIRSEQ_CONFIG = `from dataclasses import dataclass, field

import torch.nn as nn
import torch.nn.functional as F
from fairseq.dataclass import FairseqDataclass
from fairseq.models import BaseFairseqModel


@dataclass
class Wav2Vec2Config(FairseqDataclass):
    dropout_input: float = field(
        default=0.1,
        metadata={"help": "dropout to apply to the input (after feat extr)"},
    )
    decoder_dropout: float = field(
        default=0.2, metadata={"help": "dropout probability in the decoder"}
    )


class Wav2Vec2Model(BaseFairseqModel):
    def __init__(self, cfg: Wav2Vec2Config):
        super().__init__()
        self.dropout_input = nn.Dropout(cfg.dropout_input)
        self.dropout = cfg.decoder_dropout

    def forward(self, features):
        features = self.dropout_input(features)
        return F.dropout(features, p=self.dropout, training=self.training)
`;

test('rates: a dataclass config field declared with field(default=…)', () => {
  assert.deepEqual(
    plan(FAIRSEQ_CONFIG).map((s) => [s.line, s.kind, s.rate]),
    [
      [22, 'module', 'dropout_input=0.1 (config default)'],
      [26, 'call', 'dropout_input=0.1 (config default)'],
      [27, 'call', 'self.dropout ← decoder_dropout=0.2 (config default)'],
    ],
  );
});

// After latent diffusion's ldm/modules/diffusionmodules/model.py: `ResnetBlock` takes `dropout` without a default,
// and the encoder that builds it passes its own `dropout=0.0`; `Upsampler` is built with two different rates.
const REQUIRED_RATE = `import torch
import torch.nn as nn


class ResnetBlock(nn.Module):
    def __init__(self, *, in_channels, out_channels=None, conv_shortcut=False,
                 dropout, temb_channels=512):
        super().__init__()
        self.dropout = torch.nn.Dropout(dropout)


class Upsampler(nn.Module):
    def __init__(self, channels, dropout):
        super().__init__()
        self.dropout = nn.Dropout(dropout)


class Encoder(nn.Module):
    def __init__(self, *, ch, num_res_blocks, dropout=0.0, in_channels):
        super().__init__()
        self.block = nn.ModuleList()
        for i_block in range(num_res_blocks):
            self.block.append(ResnetBlock(in_channels=ch, out_channels=ch, dropout=dropout))
        self.mid = ResnetBlock(in_channels=ch, out_channels=ch, temb_channels=0, dropout=dropout)
        self.up = Upsampler(ch, 0.1)
        self.up2 = Upsampler(ch, 0.2)
`;

test('rates: a required __init__ parameter, as every construction in the file passes it, or assumed', () => {
  assert.deepEqual(
    plan(REQUIRED_RATE).map((s) => [s.line, s.rate]),
    [
      [8, 'dropout ← its 2 constructions (line 23): dropout=0 (default)'],
      [14, '`dropout` is not known statically; assumed 0.1'],
    ],
  );
});

// After fairseq's fairseq/modules/fairseq_dropout.py and a layer that builds it: the module drops only in training
// unless a flag `__init__` sets to False is turned on (`make_generation_fast_(retain_dropout=True)`).
const FAIRSEQ_DROPOUT = `import torch.nn as nn
import torch.nn.functional as F


class FairseqDropout(nn.Module):
    def __init__(self, p, module_name=None):
        super().__init__()
        self.p = p
        self.module_name = module_name
        self.apply_during_inference = False

    def forward(self, x, inplace: bool = False):
        if self.p > 0 and (self.training or self.apply_during_inference):
            return F.dropout(x, p=self.p, training=True, inplace=inplace)
        else:
            return x


class EncoderLayer(nn.Module):
    def __init__(self, embed_dim=768, dropout=0.1, activation_dropout=0.2):
        super().__init__()
        self.dropout_module = FairseqDropout(dropout, module_name=self.__class__.__name__)
        self.activation_dropout_module = FairseqDropout(activation_dropout, module_name=self.__class__.__name__)
        self.fc1 = nn.Linear(embed_dim, embed_dim)

    def forward(self, x):
        return self.dropout_module(self.activation_dropout_module(self.fc1(x)))
`;

test("fairseq's FairseqDropout: its constructions are dropout at the passed rate, off in evaluation as built", () => {
  const sites = plan(FAIRSEQ_DROPOUT);
  assert.deepEqual(
    sites.map((s) => [s.line, s.kind, s.rate, s.eval]),
    [
      [13, 'call', '`self.p` is not known statically; assumed 0.1', false],
      [21, 'module', 'self.p ← p ← dropout=0.1 (default)', false],
      [22, 'module', 'self.p ← p ← activation_dropout=0.2 (default)', false],
    ],
  );
  assert.deepEqual(sites[2].kernel, { kind: 'dropout', p: 0.2 });
  // Built to drop at inference too, it is active in evaluation, at its definition and where it is built.
  const retained = plan(
    FAIRSEQ_DROPOUT.replace('self.apply_during_inference = False', 'self.apply_during_inference = True'),
  );
  assert.deepEqual(
    retained.map((s) => s.eval),
    [true, true, true],
  );
  // A forward that does more than apply it is no regularizer of its own: no construction sites.
  const more = plan(
    FAIRSEQ_DROPOUT.replace('        else:\n            return x', '        x = x * 2\n        return x'),
  );
  assert.deepEqual(
    more.map((s) => s.line),
    [13],
  );
});

// After PyG's torch_geometric/nn/conv/appnp.py and rgat_conv.py: functional dropouts without a training flag, or
// with training=True, under a condition that reads self.training (an `if`, an `elif`).
const PYG_GUARDS = `import torch.nn as nn
import torch.nn.functional as F


class APPNP(nn.Module):
    def __init__(self, K, alpha, dropout=0.0):
        super().__init__()
        self.dropout = dropout

    def forward(self, x, edge_weight):
        if self.dropout > 0 and self.training:
            edge_weight = F.dropout(edge_weight, p=self.dropout)
        return x * edge_weight


class RGATConv(nn.Module):
    def __init__(self, mod=None, dropout=0.0):
        super().__init__()
        self.mod = mod
        self.dropout = dropout

    def forward(self, alpha, degree):
        if self.mod == "f-scaled":
            alpha = alpha * degree
        elif self.training and self.dropout > 0:
            alpha = F.dropout(alpha, p=self.dropout, training=True)
        return alpha


class Always(nn.Module):
    def forward(self, x):
        return F.dropout(x, p=0.3) if x.numel() > 0 else x


class EarlyExit(nn.Module):
    def __init__(self, p=0.1):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.p == 0.0 or not self.training:
            return x
        return F.dropout(x, self.p)
`;

test('a functional dropout under a condition on self.training, or after an early exit, is off in evaluation', () => {
  assert.deepEqual(
    plan(PYG_GUARDS).map((s) => [s.line, s.eval]),
    [
      [11, false],
      [25, false],
      [31, true],
      // After `if … or not self.training: return x`, as RG006 reads it: the rest of the method runs in training only.
      [42, false],
    ],
  );
});
