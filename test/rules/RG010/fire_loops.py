# Double dropout reached through the loops people write: `for i, (attn, ff) in enumerate(self.layers)`, `zip` over
# two ModuleLists and a context, a ModuleList inside a submodule (`for i, blk in enumerate(self.transformer.blocks)`,
# ViLT), and an indexed layer (`self.transformer.blocks[-1](x)`).
import torch.nn as nn
from einops import rearrange


def FeedForward(dim, mult=4, dropout=0.0):
    return nn.Sequential(
        nn.LayerNorm(dim),
        nn.Linear(dim, dim * mult),
        nn.GELU(),
        nn.Linear(dim * mult, dim),
        nn.Dropout(dropout),
    )


class Attention(nn.Module):
    def __init__(self, dim, heads=8, dim_head=64):
        super().__init__()
        inner_dim = dim_head * heads
        self.heads = heads
        self.norm = nn.LayerNorm(dim)
        self.to_qkv = nn.Linear(dim, inner_dim * 3, bias=False)
        self.to_out = nn.Linear(inner_dim, dim)

    def forward(self, x, context=None):
        qkv = self.to_qkv(self.norm(x)).chunk(3, dim=-1)
        q, k, v = map(lambda t: rearrange(t, "b n (h d) -> b h n d", h=self.heads), qkv)
        attn = (q @ k.transpose(-1, -2)).softmax(dim=-1)
        return self.to_out(rearrange(attn @ v, "b h n d -> b n (h d)"))


class Transformer(nn.Module):
    def __init__(self, dim, depth, dropout=0.1):
        super().__init__()
        self.layers = nn.ModuleList(
            [nn.ModuleList([Attention(dim), FeedForward(dim, dropout=dropout)]) for _ in range(depth)]
        )
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        for i, (attn, ff) in enumerate(self.layers):
            x = self.dropout(attn(x)) + x
            x = self.dropout(ff(x)) + x  # expect: RG010
        return x


class CrossTransformer(nn.Module):
    def __init__(self, dim, depth, dropout=0.1):
        super().__init__()
        self.attns = nn.ModuleList([Attention(dim) for _ in range(depth)])
        self.ffs = nn.ModuleList([FeedForward(dim, dropout=dropout) for _ in range(depth)])
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, contexts):
        for attn, ff, context in zip(self.attns, self.ffs, contexts):
            x = self.dropout(attn(x, context=context)) + x
            x = self.dropout(ff(x)) + x  # expect: RG010
        return x


class Encoder(nn.Module):
    def __init__(self, dim, depth, dropout=0.1):
        super().__init__()
        self.blocks = nn.ModuleList([FeedForward(dim, dropout=dropout) for _ in range(depth)])


class ViLTLike(nn.Module):
    def __init__(self, dim, depth, dropout=0.1):
        super().__init__()
        self.transformer = Encoder(dim, depth, dropout)
        self.pooler_drop = nn.Dropout(dropout)

    def forward(self, x):
        for i, blk in enumerate(self.transformer.blocks):
            x = x + self.pooler_drop(blk(x))  # expect: RG010
        return self.pooler_drop(self.transformer.blocks[-1](x))  # expect: RG010
