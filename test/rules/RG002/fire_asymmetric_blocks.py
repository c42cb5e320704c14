# The shapes of silent_no_residual_dropout.py with one branch of each block dropped before its add and its sibling
# not. The sandwich-norm finding names the attention, not the norm around it; PostNormLayer's rate is 0 by default
# and nothing here raises it, so its finding is latent (reported as information).
import torch.nn as nn
import torch.nn.functional as F


class SelfAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.qkv = nn.Linear(dim, dim * 3)
        self.out = nn.Linear(dim, dim)

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        return self.out(F.scaled_dot_product_attention(q, k, v))


class ResidualAttentionBlock(nn.Module):
    def __init__(self, dim, heads, dropout=0.1):
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads)
        self.ln_1 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, dim * 4), nn.GELU(), nn.Linear(dim * 4, dim), nn.Dropout(dropout))
        self.ln_2 = nn.LayerNorm(dim)

    def attention(self, x):
        return self.attn(x, x, x, need_weights=False)[0]

    def forward(self, x):
        x = x + self.attention(self.ln_1(x))  # expect: RG002
        return x + self.mlp(self.ln_2(x))


class SandwichNormBlock(nn.Module):
    def __init__(self, dim, heads, dropout=0.1):
        super().__init__()
        self.attention = SelfAttention(dim, heads)
        self.attention_norm1 = nn.LayerNorm(dim)
        self.attention_norm2 = nn.LayerNorm(dim)
        self.feed_forward = nn.Sequential(nn.Linear(dim, dim * 4), nn.SiLU(), nn.Linear(dim * 4, dim))
        self.ffn_norm1 = nn.LayerNorm(dim)
        self.ffn_norm2 = nn.LayerNorm(dim)
        self.ffn_dropout = nn.Dropout(dropout)

    def forward(self, x):
        x = x + self.attention_norm2(self.attention(self.attention_norm1(x)))  # expect: RG002
        return x + self.ffn_dropout(self.ffn_norm2(self.feed_forward(self.ffn_norm1(x))))


class PostNormLayer(nn.Module):
    def __init__(self, dim, heads, inner, dropout=0.0):
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.norm1 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, inner), nn.ReLU(), nn.Linear(inner, dim))
        self.norm2 = nn.LayerNorm(dim)
        self.dropout2 = nn.Dropout(dropout)

    def forward(self, h):
        attn_out, _ = self.attn(h, h, h)
        h = self.norm1(h + attn_out)  # expect: RG002
        return self.norm2(h + self.dropout2(self.ff(h)))
