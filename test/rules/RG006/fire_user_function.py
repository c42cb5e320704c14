import torch
import torch.nn as nn


def drop_path(x, drop_prob: float = 0.0, training: bool = True):
    if drop_prob == 0.0 or not training:
        return x
    keep = 1 - drop_prob
    mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
    return x * mask / keep


def safe_drop_path(x, drop_prob=0.0, training=False):
    return x


class Block(nn.Module):
    def __init__(self, dim, dpr):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.dpr = dpr

    def forward(self, x):
        x = x + drop_path(self.fc(x), self.dpr)  # expect: RG006
        x = x + drop_path(self.fc(x), self.dpr, True)  # expect: RG006
        x = x + drop_path(self.fc(x), self.dpr, self.training)
        x = x + drop_path(self.fc(x), self.dpr, training=self.training)
        x = x + safe_drop_path(self.fc(x), self.dpr)
        return x
