import torch
import torch.nn as nn
from torch.nn.functional import scaled_dot_product_attention as sdpa
from flash_attn import flash_attn_func
from mylib.attention import pick_attention_kernel


class CausalSelfAttention(nn.Module):
    """The kernel is chosen in __init__ (SDPA or flex), then called with the module's attention dropout."""

    def __init__(self, dim, attn_dropout=0.1):
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.attn_dropout = attn_dropout
        self._attention_fn = pick_attention_kernel()

    def forward(self, x, mask=None):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        return self._attend_attention(q, k, v, mask)

    def _attend_attention(self, q, k, v, mask):
        return self._attention_fn(q, k, v, mask=mask, dropout_p=self.attn_dropout)  # expect: RG006


class FlashBlock(nn.Module):
    def __init__(self, dim, dropout=0.1):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.dropout = dropout

    def forward(self, q, k, v):
        a = flash_attn_func(q, k, v, self.dropout, causal=True)  # expect: RG006
        b = flash_attn_func(q, k, v, dropout_p=self.dropout)  # expect: RG006
        return self.proj(a + b)


class TimmStyle(nn.Module):
    def __init__(self, dim, attn_drop=0.1):
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.attn_drop = nn.Dropout(attn_drop)

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        rate = self.attn_drop.p
        x = torch.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=self.attn_drop.p)  # expect: RG006
        return sdpa(q, k, v, None, rate) + x  # expect: RG006
