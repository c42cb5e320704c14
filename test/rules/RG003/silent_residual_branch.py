import torch
import torch.nn as nn


def random_gain(x, p, training=False):
    """One random gain for the whole batch, applied to the input, not to a residual branch."""
    if not training:
        return x
    gain = x.new_empty(1).bernoulli_(1 - p)
    return x * gain / (1 - p)


class SeqFirstDropPath(nn.Module):
    """Drop path for a [seq, batch, hidden] layout: the batch is dimension 1."""

    def __init__(self, drop_prob=0.0):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, h):
        if self.drop_prob == 0.0 or not self.training:
            return h
        keep = 1 - self.drop_prob
        shape = (1,) + (h.shape[1],) + (1,) * (h.ndim - 2)
        mask = (keep + torch.rand(shape, dtype=h.dtype, device=h.device)).floor_()
        return h.div(keep) * mask


class Block(nn.Module):
    def __init__(self, dim, p):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.drop_path = SeqFirstDropPath(p)
        self.p = p

    def forward(self, x):
        x = random_gain(x, self.p, self.training)
        return x + self.drop_path(self.fc(x))
