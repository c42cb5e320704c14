# Sublayers handed to a residual helper method that drops their output once: neither ends with its own dropout.
import torch.nn as nn


class PositionwiseFeedForward(nn.Module):
    def __init__(self, d_model, d_ff, dropout=0.1):
        super().__init__()
        self.w_1 = nn.Linear(d_model, d_ff)
        self.w_2 = nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.w_2(self.dropout(self.w_1(x).relu()))


class EncoderLayer(nn.Module):
    def __init__(self, size, h, d_ff, dropout):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(size, h, batch_first=True)
        self.feed_forward = PositionwiseFeedForward(size, d_ff, dropout)
        self.norm1 = nn.LayerNorm(size)
        self.norm2 = nn.LayerNorm(size)
        self.dropout = nn.Dropout(dropout)

    def sublayer_connection(self, x, norm, sublayer):
        return x + self.dropout(sublayer(norm(x)))

    def forward(self, x):
        x = x + self.dropout(self.self_attn(x, x, x, need_weights=False)[0])
        return self.sublayer_connection(x, self.norm2, self.feed_forward)
