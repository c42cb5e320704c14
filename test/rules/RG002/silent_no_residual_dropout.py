"""Blocks that use no residual dropout at all, by design: a drop-in replacement for the reference encoder.

The file names dropout only in text and in rates that stay 0, none of which drops a residual branch.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

# Another model's settings, not this one's.
REFERENCE_CONFIG = {"hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1}


def flash_attention(q, k, v, dropout_p=0.0):
    return F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p)


class SelfAttention(nn.Module):
    def __init__(self, dim, heads, attention_dropout=0.0):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.out = nn.Linear(dim, dim)
        self.attention_dropout = attention_dropout

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        return self.out(flash_attention(q, k, v, dropout_p=0.0))


class ResidualAttentionBlock(nn.Module):
    """CLIP style: nothing is dropped anywhere in the block."""

    def __init__(self, dim, heads):
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads)
        self.ln_1 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, dim * 4), nn.GELU(), nn.Linear(dim * 4, dim))
        self.ln_2 = nn.LayerNorm(dim)

    def attention(self, x):
        return self.attn(x, x, x, need_weights=False)[0]

    def forward(self, x):
        x = x + self.attention(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class SandwichNormBlock(nn.Module):
    """Norms around each sublayer (`attention_norm2` is a norm, not an attention); no branch is dropped."""

    def __init__(self, dim, heads):
        super().__init__()
        self.attention = SelfAttention(dim, heads)
        self.attention_norm1 = nn.LayerNorm(dim)
        self.attention_norm2 = nn.LayerNorm(dim)
        self.feed_forward = nn.Sequential(nn.Linear(dim, dim * 4), nn.SiLU(), nn.Linear(dim * 4, dim))
        self.ffn_norm1 = nn.LayerNorm(dim)
        self.ffn_norm2 = nn.LayerNorm(dim)

    def forward(self, x):
        x = x + self.attention_norm2(self.attention(self.attention_norm1(x)))
        return x + self.ffn_norm2(self.feed_forward(self.ffn_norm1(x)))


class HiddenDropoutFeedForward(nn.Module):
    def __init__(self, dim, inner, dropout):
        super().__init__()
        self.fc1 = nn.Linear(dim, inner)
        self.fc2 = nn.Linear(inner, dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, h):
        return self.fc2(self.dropout(F.relu(self.fc1(h))))


class PostNormLayer(nn.Module):
    """Adaptive-span style: dropout inside the attention weights and the hidden layer, none on either branch."""

    def __init__(self, dim, heads, inner, dropout):
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.norm1 = nn.LayerNorm(dim)
        self.ff = HiddenDropoutFeedForward(dim, inner, dropout)
        self.norm2 = nn.LayerNorm(dim)

    def forward(self, h):
        attn_out, _ = self.attn(h, h, h)
        h = self.norm1(h + attn_out)
        return self.norm2(h + self.ff(h))


class SharedExpertMoE(nn.Module):
    """The shared expert's output is added to the routed experts' sum, not to a residual stream."""

    def __init__(self, dim, n_expert):
        super().__init__()
        self.gate = nn.Linear(dim, n_expert)
        self.experts = nn.ModuleList([nn.Linear(dim, dim) for _ in range(n_expert)])
        self.shared_experts = nn.Sequential(nn.Linear(dim, dim * 2), nn.SiLU(), nn.Linear(dim * 2, dim))

    def forward(self, x):
        probs = self.gate(x).softmax(dim=-1)
        y = torch.zeros_like(x)
        for i, expert in enumerate(self.experts):
            y = y + probs[..., i : i + 1] * expert(x)
        return y + self.shared_experts(x)


class InlineEncoder(nn.Module):
    """The config's hidden dropout rate drops the embeddings; the inline blocks add their branches bare."""

    def __init__(self, config):
        super().__init__()
        self.embed = nn.Embedding(config.vocab_size, config.hidden_size)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.attn = nn.MultiheadAttention(config.hidden_size, config.num_heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(config.hidden_size, config.hidden_size), nn.GELU())

    def forward(self, input_ids):
        x = self.dropout(self.embed(input_ids))
        x = x + self.attn(x, x, x)[0]
        return x + self.mlp(x)
