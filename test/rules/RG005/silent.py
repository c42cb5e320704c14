import torch
import torch.nn as nn
import torch.nn.functional as F


class InvertedDropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        mask = (torch.rand_like(x) > self.p).float()
        return x * mask / (1 - self.p)


class NonInvertedDropout(nn.Module):
    """The original formulation: no scale in training, multiply by the keep probability in evaluation."""

    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.training:
            mask = torch.rand_like(x) >= self.p
            return x * mask
        return x * (1 - self.p)


def dropout_layer(X, dropout):
    """The dropout chapter of d2l: the caller runs it in training only."""
    assert 0 <= dropout <= 1
    if dropout == 1:
        return torch.zeros_like(X)
    mask = (torch.rand(X.shape) > dropout).float()
    return mask * X / (1.0 - dropout)


def dropout_scaled_once(x, p=0.1, training=False):
    if not training:
        return x
    scale = 1.0 / (1.0 - p)
    mask = torch.empty_like(x).bernoulli_(1 - p)
    return x * mask * scale


def dropout_ones(x, p=0.1, training=False):
    if not training:
        return x
    mask = torch.bernoulli(torch.ones_like(x) * (1 - p))
    return x * mask / (1 - p)


class ScaledInInit(nn.Module):
    def __init__(self, p=0.1):
        super().__init__()
        self.keep_prob = 1 - p
        self.scale = 1 / self.keep_prob

    def forward(self, x):
        if self.training:
            x = x.masked_fill(torch.rand_like(x) > self.keep_prob, 0.0) * self.scale
        return x


class DropPath(nn.Module):
    """A per-sample mask without rescale is RG004's, not RG005's."""

    def __init__(self, p=0.1):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        mask = torch.rand(x.shape[0], 1, 1, device=x.device) > self.p
        return x * mask  # expect: RG004


def random_erase(x, p):
    """Data augmentation, not a regularizer of activations: no rescale intended."""
    mask = torch.rand_like(x) < p
    return x.masked_fill(mask, 0.0)


class QuantNoise(nn.Module):
    def __init__(self, p=0.1):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(8, 8))
        self.p = p

    def forward(self, x):
        weight = self.weight
        if self.training:
            mask = torch.zeros_like(weight).bernoulli_(self.p)
            s = 1 / (1 - self.p)
            weight = s * weight.masked_fill(mask.bool(), 0)
        return F.linear(x, weight)


class AlwaysRandom(nn.Module):
    def forward(self, x):
        # No training check: RG006 territory; the expectation is the same in both modes.
        return x * (torch.rand_like(x) > 0.5)
