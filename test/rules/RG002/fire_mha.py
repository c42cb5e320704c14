# nn.MultiheadAttention drops attention weights only: next to a feed-forward branch that is dropped before its add,
# the attention branch is left bare. A block that names a residual rate and never uses it is the same mistake.
import torch.nn as nn


class EncoderBlock(nn.Module):
    def __init__(self, dim, heads, mlp_ratio=4, dropout=0.1):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.mha = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(
            nn.Linear(dim, dim * mlp_ratio),
            nn.GELU(),
            nn.Linear(dim * mlp_ratio, dim),
        )
        self.ff_drop = nn.Dropout(dropout)

    def forward(self, x, key_padding_mask=None):
        h = self.norm1(x)
        attn_out, _ = self.mha(h, h, h, key_padding_mask=key_padding_mask)
        x = x + attn_out  # expect: RG002
        x += self.ff_drop(self.ff(self.norm2(x)))
        return x


class ReturnsSum(nn.Module):
    def __init__(self, dim, heads, attn_drop=0.1, resid_dropout=0.1):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.self_attn = nn.MultiheadAttention(dim, heads, dropout=attn_drop)

    def forward(self, x):
        return x + self._attend(self.norm(x))  # expect: RG002

    def _attend(self, h):
        return self.self_attn(h, h, h)[0]
