# A mixing step between two dropouts: each dropout regularizes a different value.
import torch
import torch.nn as nn
import torch.nn.functional as F


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
