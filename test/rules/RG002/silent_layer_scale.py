# Branches wrapped in a layer scale or drop path are the author's design, even next to a branch that ends with its
# projection dropout.
import torch
import torch.nn as nn
from timm.layers import DropPath


class LayerScale(nn.Module):
    def __init__(self, dim, init_values=1e-5):
        super().__init__()
        self.gamma = nn.Parameter(init_values * torch.ones(dim))

    def forward(self, x):
        return x * self.gamma


class Block(nn.Module):
    def __init__(self, dim, heads, drop=0.1, drop_path=0.1):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ls1 = LayerScale(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim), nn.Dropout(drop))
        self.drop_path = DropPath(drop_path)
        self.gamma_1 = nn.Parameter(1e-5 * torch.ones(dim))
        self.gamma_2 = nn.Parameter(1e-5 * torch.ones(dim))

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.ls1(self.attn(h, h, h)[0])
        x = x + self.gamma_2 * self.mlp(self.norm2(x))
        x = x + self.gamma_1 * self.attn(x, x, x)[0]
        return x + self.drop_path(self.attn(x, x, x)[0])
