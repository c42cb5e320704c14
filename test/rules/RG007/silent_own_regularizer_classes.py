# The project's own regularizer classes, used; and classes that are not regularizers, unused: none is RG007's.
import torch
import torch.nn.functional as F
from torch import nn


class DropPath(nn.Module):
    def __init__(self, drop_prob=0.0):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x):
        if self.drop_prob == 0.0 or not self.training:
            return x
        keep_prob = 1 - self.drop_prob
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep_prob)
        return x * mask / keep_prob


class Identity(nn.Module):
    """A stand-in where timm is missing: its `forward` draws nothing."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Mlp(nn.Module):
    """Applies a dropout, but does more: a layer, not a regularizer."""

    def __init__(self, dim, drop=0.1):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.drop = drop

    def forward(self, x):
        return F.dropout(self.fc(x), self.drop, self.training)


class Block(nn.Module):
    def __init__(self, dim, drop_path=0.1):
        super().__init__()
        self.mlp = Mlp(dim)
        self.unused_mlp = Mlp(dim)
        self.placeholder = Identity(drop_path)
        self.drop_path = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()

    def forward(self, x):
        return x + self.drop_path(self.mlp(x))


class Noise(nn.Module):
    def __init__(self, std=0.1):
        super().__init__()
        self.std = std

    def forward(self, x):
        return x + torch.randn_like(x) * self.std if self.training else x


class Encoder(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.noise = Noise()

    def forward(self, x):
        return self.noise(self.proj(x))
