# Written after torchvision 0.14's models/swin_transformer.py: the attention helper drops without a training flag,
# and the V2 module keeps its rates through `super().__init__`, whose `__init__` stores them. Every rate is 0 unless
# a caller raises it, in the base class and in the subclass alike: both mistakes are latent (information severity).
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor


def shifted_window_attention(
    input: Tensor,
    qkv_weight: Tensor,
    proj_weight: Tensor,
    num_heads: int,
    attention_dropout: float = 0.0,
    dropout: float = 0.0,
    qkv_bias: Optional[Tensor] = None,
    proj_bias: Optional[Tensor] = None,
):
    qkv = F.linear(input, qkv_weight, qkv_bias)
    q, k, v = qkv.chunk(3, dim=-1)
    attn = q.matmul(k.transpose(-2, -1))
    attn = F.softmax(attn, dim=-1)
    attn = F.dropout(attn, p=attention_dropout)
    x = attn.matmul(v)
    x = F.linear(x, proj_weight, proj_bias)
    x = F.dropout(x, p=dropout)
    return x


class ShiftedWindowAttention(nn.Module):
    def __init__(
        self,
        dim: int,
        window_size: List[int],
        shift_size: List[int],
        num_heads: int,
        qkv_bias: bool = True,
        proj_bias: bool = True,
        attention_dropout: float = 0.0,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.window_size = window_size
        self.shift_size = shift_size
        self.num_heads = num_heads
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim, bias=proj_bias)

    def forward(self, x: Tensor):
        return shifted_window_attention(  # expect: RG006 (info)
            x,
            self.qkv.weight,
            self.proj.weight,
            self.num_heads,
            attention_dropout=self.attention_dropout,
            dropout=self.dropout,
            qkv_bias=self.qkv.bias,
            proj_bias=self.proj.bias,
        )


class ShiftedWindowAttentionV2(ShiftedWindowAttention):
    def __init__(
        self,
        dim: int,
        window_size: List[int],
        shift_size: List[int],
        num_heads: int,
        qkv_bias: bool = True,
        proj_bias: bool = True,
        attention_dropout: float = 0.0,
        dropout: float = 0.0,
    ):
        super().__init__(
            dim,
            window_size,
            shift_size,
            num_heads,
            qkv_bias=qkv_bias,
            proj_bias=proj_bias,
            attention_dropout=attention_dropout,
            dropout=dropout,
        )
        self.logit_scale = nn.Parameter(torch.log(10 * torch.ones((num_heads, 1, 1))))

    def forward(self, x: Tensor):
        return shifted_window_attention(  # expect: RG006 (info)
            x,
            self.qkv.weight,
            self.proj.weight,
            self.num_heads,
            attention_dropout=self.attention_dropout,
            dropout=self.dropout,
        )
