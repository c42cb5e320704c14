import torch.nn as nn
import torch.nn.functional as F
from timm.layers import DropPath


class Block(nn.Module):
    def __init__(self, dim, keep_prob=0.9, cfg=None):
        super().__init__()
        self.a = nn.Dropout(1.5)  # expect: RG008
        self.b = nn.Dropout(p=-0.1)  # expect: RG008
        self.c = nn.Dropout(1.0)  # expect: RG008
        self.d = nn.Dropout(p=keep_prob)  # expect: RG008
        self.e = DropPath(cfg.keep_rate)  # expect: RG008
        self.f = nn.MultiheadAttention(dim, 8, dropout=10)  # expect: RG008
        self.g = nn.TransformerEncoderLayer(dim, 8, 4 * dim, 1)  # expect: RG008
        self.h = nn.LSTM(dim, dim, num_layers=2, dropout=2.0)  # expect: RG008
        self.keep = keep_prob

    def forward(self, x):
        x = F.dropout(x, self.keep, training=self.training)  # expect: RG008
        x = F.dropout(x, p=1, training=self.training)  # expect: RG008
        return x
