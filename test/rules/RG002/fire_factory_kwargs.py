# Sublayers built with `**factory_kwargs` / `**dd` (PyTorch's and timm's device-and-dtype dicts): the dict holds no
# dropout rate, so timm's Mlp keeps its default `drop=0.0`, and its branch is the one the block never drops.
import torch.nn as nn
from timm.layers import Mlp


class EncoderLayer(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio=4.0, dropout=0.1, device=None, dtype=None):
        super().__init__()
        factory_kwargs = {"device": device, "dtype": dtype}
        self.self_attn = nn.MultiheadAttention(dim, num_heads, dropout=dropout, batch_first=True, **factory_kwargs)
        self.norm1 = nn.LayerNorm(dim, **factory_kwargs)
        self.norm2 = nn.LayerNorm(dim, **factory_kwargs)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), **factory_kwargs)
        self.dropout1 = nn.Dropout(dropout)

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.dropout1(self.self_attn(h, h, h, need_weights=False)[0])
        x = x + self.mlp(self.norm2(x))  # expect: RG002
        return x
