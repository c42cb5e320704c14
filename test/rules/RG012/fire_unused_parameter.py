# A rate the block accepts and never reads: the callers pass `dropout=dropout` and nothing drops (diffusers' cached
# KVAE ResNet block, DINOv2's SwiGLU feed-forward that takes Mlp's `drop`).
from typing import Callable, Optional

import torch.nn as nn
import torch.nn.functional as F


class CachedResnetBlock3D(nn.Module):
    r"""A 3D ResNet block with caching."""

    def __init__(
        self,
        in_channels: int,
        out_channels: Optional[int] = None,
        dropout: float = 0.0,  # expect: RG012
        temb_channels: int = 0,
    ):
        super().__init__()
        out_channels = in_channels if out_channels is None else out_channels
        self.norm1 = nn.GroupNorm(32, in_channels)
        self.conv1 = nn.Conv3d(in_channels, out_channels, 3)
        self.norm2 = nn.GroupNorm(32, out_channels)
        self.conv2 = nn.Conv3d(out_channels, out_channels, 3)

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        return x + self.conv2(F.silu(self.norm2(h)))


class SwiGLUFFN(nn.Module):
    def __init__(
        self,
        in_features: int,
        hidden_features: Optional[int] = None,
        act_layer: Callable[..., nn.Module] = None,
        drop: float = 0.0,  # expect: RG012
        bias: bool = True,
    ) -> None:
        super().__init__()
        hidden_features = hidden_features or in_features
        self.w12 = nn.Linear(in_features, 2 * hidden_features, bias=bias)
        self.w3 = nn.Linear(hidden_features, in_features, bias=bias)

    def forward(self, x):
        x1, x2 = self.w12(x).chunk(2, dim=-1)
        return self.w3(F.silu(x1) * x2)


class Attention(nn.Module):
    def __init__(self, dim, heads=8, attn_drop=0.0, proj_drop=0.0):  # expect: RG012
        super().__init__()
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        return self.proj_drop(self.proj(F.scaled_dot_product_attention(q, k, v)))


class Decoder(nn.Module):
    def __init__(self, dim, depth, dropout=0.1):
        super().__init__()
        self.blocks = nn.ModuleList([CachedResnetBlock3D(dim, dim, dropout=dropout) for _ in range(depth)])
