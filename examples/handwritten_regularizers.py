"""Regularizers written by hand, as in many research ports: each one quietly changes the expected activation
between training and evaluation, or regularizes at the wrong granularity."""
import torch
import torch.nn as nn


def drop_path(x, drop_prob: float = 0.1, training: bool = False):
    """Drop paths (stochastic depth) per sample."""
    if drop_prob == 0.0 or not training:
        return x
    keep_prob = 1 - drop_prob
    random_tensor = keep_prob + torch.rand(1, dtype=x.dtype, device=x.device)
    random_tensor.floor_()
    return x.div(keep_prob) * random_tensor


class StochasticDepth(nn.Module):
    def __init__(self, drop_prob: float = 0.1):
        super().__init__()
        self.keep_prob = 1.0 - drop_prob

    def forward(self, x):
        if not self.training:
            return x
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(self.keep_prob)
        return x * mask


class MyDropout(nn.Module):
    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.training:
            mask = (torch.rand_like(x) > self.p).float()
            x = x * mask / self.p
        return x


class Block(nn.Module):
    def __init__(self, dim: int, drop_path_rate: float = 0.1):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.drop = MyDropout(0.1)
        self.drop_path = StochasticDepth(drop_path_rate)

    def forward(self, x):
        return x + self.drop_path(self.drop(self.fc(x)))
