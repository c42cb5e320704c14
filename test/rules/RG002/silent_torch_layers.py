# PyTorch's own encoder layer pattern: every branch is dropped (dropout1, dropout2) before the residual add.
import torch.nn as nn
import torch.nn.functional as F
from torchvision.ops import StochasticDepth


class EncoderLayer(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=True)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)

    def forward(self, src, src_mask=None, norm_first=False):
        x = src
        if norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, need_weights=False)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(F.relu(self.linear1(x))))
        return self.dropout2(x)


class SwinStyleBlock(nn.Module):
    def __init__(self, dim, heads, stochastic_depth_prob=0.1):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim), nn.Dropout(0.1))

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.stochastic_depth(self.attn(h, h, h)[0])
        x = x + self.stochastic_depth(self.mlp(self.norm2(x)))
        return x


class EncoderStack(nn.Module):
    def __init__(self, dim, heads, depth, dropout=0.1):
        super().__init__()
        layer = nn.TransformerEncoderLayer(dim, heads, dropout=dropout, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        return x + self.encoder(x)
