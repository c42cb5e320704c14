# A residual helper method that sublayers are handed to (the Annotated Transformer's SublayerConnection, written as a
# method): the feed-forward already ends with its dropout, and the helper drops whatever the sublayer returns again.
# No fix: removing the helper's dropout would also undrop the attention handed to it.
import torch.nn as nn


class PositionwiseFeedForward(nn.Module):
    def __init__(self, d_model, d_ff, dropout=0.1):
        super().__init__()
        self.w_1 = nn.Linear(d_model, d_ff)
        self.w_2 = nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.w_2(self.w_1(x).relu()))


class SelfAttention(nn.Module):
    def __init__(self, d_model, h):
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, h, batch_first=True)

    def forward(self, x):
        return self.attn(x, x, x, need_weights=False)[0]


class EncoderLayer(nn.Module):
    def __init__(self, size, h, d_ff, dropout):
        super().__init__()
        self.self_attn = SelfAttention(size, h)
        self.feed_forward = PositionwiseFeedForward(size, d_ff, dropout)
        self.norm1 = nn.LayerNorm(size)
        self.norm2 = nn.LayerNorm(size)
        self.dropout = nn.Dropout(dropout)

    def sublayer_connection(self, x, norm, sublayer):
        return x + self.dropout(sublayer(norm(x)))  # expect: RG010

    def forward(self, x):
        x = self.sublayer_connection(x, self.norm1, self.self_attn)
        return self.sublayer_connection(x, self.norm2, self.feed_forward)
