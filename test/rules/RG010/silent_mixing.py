# A mixing step between two dropouts: each dropout regularizes a different value.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.ops import StochasticDepth


class Attention(nn.Module):
    def __init__(self, dim, p=0.1):
        super().__init__()
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        self.attn_drop = nn.Dropout(p)
        self.proj_drop = nn.Dropout(p)

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        attn = (q @ k.transpose(-2, -1)).softmax(dim=-1)
        attn = self.attn_drop(attn)
        x = attn @ v
        x = self.proj(x)
        return self.proj_drop(x)


class Block(nn.Module):
    def __init__(self, dim, p=0.1):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.attn = Attention(dim, p)
        self.drop = nn.Dropout(p)
        self.emb_drop = nn.Dropout(p)
        self.pos = nn.Parameter(torch.zeros(1, 16, dim))

    def forward(self, x, memory):
        x = x + self.attn(self.norm1(x))
        h = self.norm2(x)
        h = self.drop(h)
        h = torch.cat([h, memory], dim=1)
        h = self.emb_drop(h + self.pos)
        if self.training:
            h = h * 0.5
        return F.dropout(self.norm2(h), 0.1, self.training)


class MaxVitStyle(nn.Module):
    """A sublayer that ends with dropout, then stochastic depth: two different regularizers, not one twice."""

    def __init__(self, dim, attention_dropout=0.1, p_stochastic=0.1):
        super().__init__()
        self.attn_layer = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim), nn.Dropout(attention_dropout))
        self.stochastic_dropout = StochasticDepth(p_stochastic, mode="row")

    def forward(self, x):
        return x + self.stochastic_dropout(self.attn_layer(x))
