"""Attention on a fused kernel, written the way Megatron-LM's FlashSelfAttention once was."""

import torch.nn as nn
from flash_attn import flash_attn_func


class FlashSelfAttention(nn.Module):
    def __init__(self, causal=True, softmax_scale=None, attention_dropout=0.1):
        super().__init__()
        self.causal = causal
        self.softmax_scale = softmax_scale
        self.dropout_p = attention_dropout

    def forward(self, q, k, v):
        if not self.training:
            # No attention dropout when evaluating.
            self.dropout_p = 0.0
        return flash_attn_func(q, k, v, self.dropout_p, softmax_scale=self.softmax_scale, causal=self.causal)
