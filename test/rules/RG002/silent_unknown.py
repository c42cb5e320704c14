# Sublayers from other files are unknown until the workspace index resolves them: no finding.
import torch.nn as nn
from timm.layers import Mlp

from .attention import Attention
from .layers import FeedForward


class Block(nn.Module):
    def __init__(self, dim, heads, dropout=0.1):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads, dropout=dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = FeedForward(dim, dropout=dropout)
        self.mlp = Mlp(dim, dim * 4, drop=dropout)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        x = x + self.ff(self.norm2(x))
        return x + self.mlp(x)
