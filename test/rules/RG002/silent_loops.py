# The loops of fire_loops.py with every branch dropped alike: `enumerate(self.layers)` dropping both branches, and
# `zip(...)` where neither is dropped (a design: many models use no residual dropout).
import torch.nn as nn


class Attention(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.to_qkv = nn.Linear(dim, dim * 3, bias=False)
        self.to_out = nn.Linear(dim, dim)

    def forward(self, x, context=None):
        q, k, v = self.to_qkv(x).chunk(3, dim=-1)
        attn = (q @ k.transpose(-1, -2)).softmax(dim=-1)
        return self.to_out(attn @ v)


class FeedForward(nn.Module):
    def __init__(self, dim, mult=4):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, dim * mult), nn.GELU(), nn.Linear(dim * mult, dim))

    def forward(self, x):
        return self.net(x)


class Transformer(nn.Module):
    def __init__(self, dim, depth, dropout=0.1):
        super().__init__()
        self.layers = nn.ModuleList([nn.ModuleList([Attention(dim), FeedForward(dim)]) for _ in range(depth)])
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        for i, (attn, ff) in enumerate(self.layers):
            x = self.dropout(attn(x)) + x
            x = self.dropout(ff(x)) + x
        return x


class CrossTransformer(nn.Module):
    def __init__(self, dim, depth):
        super().__init__()
        self.attns = nn.ModuleList([Attention(dim) for _ in range(depth)])
        self.ffs = nn.ModuleList([FeedForward(dim) for _ in range(depth)])

    def forward(self, x, contexts):
        for attn, ff, context in zip(self.attns, self.ffs, contexts):
            x = attn(x, context=context) + x
            x = ff(x) + x
        return x
