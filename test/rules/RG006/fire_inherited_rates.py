# The same helper where a subclass's `super().__init__` or `Base.__init__(self, …)` raises the rate: then the base's
# default 0 is not what runs, and neither finding is latent.
from typing import Optional

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor


def window_attention(input: Tensor, qkv_weight: Tensor, dropout: float = 0.0, qkv_bias: Optional[Tensor] = None):
    q, k, v = F.linear(input, qkv_weight, qkv_bias).chunk(3, dim=-1)
    attn = F.softmax(q.matmul(k.transpose(-2, -1)), dim=-1)
    return F.dropout(attn, p=dropout).matmul(v)


class WindowAttention(nn.Module):
    def __init__(self, dim: int, dropout: float = 0.0):
        super().__init__()
        self.dropout = dropout
        self.qkv = nn.Linear(dim, dim * 3)

    def forward(self, x: Tensor):
        return window_attention(x, self.qkv.weight, dropout=self.dropout, qkv_bias=self.qkv.bias)  # expect: RG006 (warning)


class DroppedWindowAttention(WindowAttention):
    """Its own rate reaches the base through `super().__init__`: 0.1 by default."""

    def __init__(self, dim: int, dropout: float = 0.1):
        super().__init__(dim, dropout=dropout)

    def forward(self, x: Tensor):
        return window_attention(x, self.qkv.weight, dropout=self.dropout)  # expect: RG006 (warning)


class LegacyWindowAttention(WindowAttention):
    def __init__(self, dim: int):
        WindowAttention.__init__(self, dim, 0.2)

    def forward(self, x: Tensor):
        return window_attention(x, self.qkv.weight, self.dropout)  # expect: RG006 (warning)
