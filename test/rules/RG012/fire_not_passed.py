# One branch builds the attention with the parent's rate, the other without any (linear-attention-transformer's
# Linformer layers before the fix); the class of that branch comes from another package.
import torch.nn as nn
from linformer import LinformerSelfAttention


class SelfAttention(nn.Module):
    def __init__(self, dim, heads, causal=False, dropout=0.0, attn_dropout=0.0):
        super().__init__()
        self.to_out = nn.Linear(dim, dim)
        self.attn_drop = nn.Dropout(attn_dropout)
        self.dropout = nn.Dropout(dropout)


class LinearAttentionTransformer(nn.Module):
    def __init__(
        self, dim, depth, max_seq_len, heads=8, attn_layer_dropout=0.0, attn_dropout=0.0, linformer_settings=None
    ):
        super().__init__()
        layers = nn.ModuleList([])
        for _ in range(depth):
            if linformer_settings is None:
                attn = SelfAttention(dim, heads, dropout=attn_layer_dropout, attn_dropout=attn_dropout)
            else:
                attn = LinformerSelfAttention(  # expect: RG012
                    dim, max_seq_len, heads=heads, **linformer_settings._asdict()
                )
            layers.append(attn)
        self.layers = layers
