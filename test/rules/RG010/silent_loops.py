# The same loops where each value is dropped once: the feed-forward ends with its projection, the block drops the
# attention output only, and a layer reached by index that ends with a norm.
import torch.nn as nn


def FeedForward(dim, mult=4, dropout=0.0):
    return nn.Sequential(
        nn.LayerNorm(dim),
        nn.Linear(dim, dim * mult),
        nn.GELU(),
        nn.Dropout(dropout),
        nn.Linear(dim * mult, dim),
    )


class Attention(nn.Module):
    def __init__(self, dim, dropout=0.1):
        super().__init__()
        self.to_qkv = nn.Linear(dim, dim * 3, bias=False)
        self.to_out = nn.Sequential(nn.Linear(dim, dim), nn.Dropout(dropout))

    def forward(self, x):
        q, k, v = self.to_qkv(x).chunk(3, dim=-1)
        attn = (q @ k.transpose(-1, -2)).softmax(dim=-1)
        return self.to_out(attn @ v)


class Transformer(nn.Module):
    def __init__(self, dim, depth, dropout=0.1):
        super().__init__()
        self.layers = nn.ModuleList(
            [nn.ModuleList([Attention(dim, dropout), FeedForward(dim, dropout=dropout)]) for _ in range(depth)]
        )
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        for i, (attn, ff) in enumerate(self.layers):
            x = attn(x) + x
            x = self.dropout(ff(x)) + x
        return x


class CrossTransformer(nn.Module):
    def __init__(self, dim, depth, dropout=0.1):
        super().__init__()
        self.ffs = nn.ModuleList([FeedForward(dim, dropout=dropout) for _ in range(depth)])
        self.norms = nn.ModuleList([nn.LayerNorm(dim) for _ in range(depth)])
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, contexts):
        for ff, norm, context in zip(self.ffs, self.norms, contexts):
            x = self.dropout(ff(norm(x + context))) + x
        return self.dropout(self.norms[-1](x))
