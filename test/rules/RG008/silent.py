import torch
import torch.nn as nn
import torch.nn.functional as F


def drop_path(x, drop_prob=0.0, training=False):
    keep_prob = 1 - drop_prob
    if drop_prob == 1.0:
        return x * 0
    mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep_prob)
    return x * mask / keep_prob


class Model(nn.Module):
    def __init__(self, dim, depth=12, drop_path_rate=0.9, keep_prob=0.9):
        super().__init__()
        dpr = [r.item() for r in torch.linspace(0, drop_path_rate, depth)]
        self.drops = nn.ModuleList([nn.Dropout(r) for r in dpr])
        self.a = nn.Dropout(0.0)
        self.b = nn.Dropout(0.5)
        self.c = nn.Dropout(1 - keep_prob)
        self.d = nn.Dropout(p=drop_path_rate)

    def forward(self, x):
        return F.dropout(x, 0.999, training=self.training)
