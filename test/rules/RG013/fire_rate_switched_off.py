# The rate switched off on the module in the evaluation branch, as Megatron-LM's FlashSelfAttention had it.
import torch
import torch.nn as nn
from flash_attn.flash_attn_interface import flash_attn_unpadded_func


class FlashSelfAttention(torch.nn.Module):
    def __init__(self, causal=False, softmax_scale=None, attention_dropout=0.0):
        super().__init__()
        self.causal = causal
        self.softmax_scale = softmax_scale
        self.dropout_p = attention_dropout

    def forward(self, q, k, v, cu_seqlens_q, cu_seqlens_k, seqlen_q, seqlen_k):
        if self.training:
            is_causal = self.causal
        else:
            is_causal = seqlen_q == seqlen_k
            self.dropout_p = 0  # expect: RG013
        return flash_attn_unpadded_func(
            q, k, v, cu_seqlens_q, cu_seqlens_k, seqlen_q, seqlen_k,
            self.dropout_p,
            softmax_scale=self.softmax_scale, causal=is_causal
        )


class Attention(nn.Module):
    def __init__(self, dim, attn_drop=0.1):
        super().__init__()
        self.qkv = nn.Linear(dim, dim * 3)
        self.attn_drop = nn.Dropout(attn_drop)

    def forward(self, x):
        if not self.training:
            self.attn_drop.p = 0.0  # expect: RG013
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        attn = (q @ k.transpose(-2, -1)).softmax(dim=-1)
        return self.attn_drop(attn) @ v
