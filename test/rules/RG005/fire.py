import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class MyDropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        mask = (torch.rand_like(x) > self.p).float()
        return x * mask  # expect: RG005


class DividesByP(nn.Module):
    def __init__(self, p=0.1):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.training:
            mask = torch.rand(x.shape, device=x.device) > self.p
            x = x * mask / self.p  # expect: RG005
        return x


class ScalesAtTraining(nn.Module):
    def __init__(self, p=0.2):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.training:
            mask = torch.bernoulli(torch.full_like(x, 1 - self.p))
            return x * mask * (1 - self.p)  # expect: RG005
        return x


def dropout(x, p=0.5, training=True):
    if not training or p == 0.0:
        return x
    mask = torch.empty_like(x).bernoulli_(1 - p)
    return x.mul_(mask)  # expect: RG005


def dropout_masked_fill(x, p, training=False):
    if not training:
        return x
    drop = torch.rand_like(x) < p
    return x.masked_fill(drop, 0.0)  # expect: RG005


class ZeroByIndex(nn.Module):
    def __init__(self, rate=0.3):
        super().__init__()
        self.rate = rate

    def forward(self, x):
        if self.training:
            drop = torch.rand(*x.shape, device=x.device) < self.rate
            x[drop] = 0  # expect: RG005
        return x


class InPlaceDropout(nn.Module):
    def __init__(self, p=0.1):
        super().__init__()
        self.keep = 1.0 - p

    def forward(self, x):
        if not self.training:
            return x
        mask = x.new_empty(x.shape).bernoulli_(self.keep)
        x *= mask  # expect: RG005
        return x


def numpy_dropout(x, p, training):
    if not training:
        return x
    mask = np.random.binomial(1, 1 - p, size=x.shape)
    return x * torch.from_numpy(mask).to(x)  # expect: RG005


class DropConnectLinear(nn.Linear):
    def __init__(self, in_features, out_features, p=0.5):
        super().__init__(in_features, out_features)
        self.p = p

    def forward(self, x):
        if self.training:
            mask = torch.rand_like(self.weight) > self.p
            weight = self.weight * mask  # expect: RG005
        else:
            weight = self.weight
        return F.linear(x, weight, self.bias)


class QuantNoise(nn.Module):
    def __init__(self, p=0.1):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(8, 8))
        self.p = p

    def forward(self, x):
        weight = self.weight
        if self.training:
            mask = torch.zeros_like(weight).bernoulli_(self.p)
            weight = weight.masked_fill(mask.bool(), 0)  # expect: RG005
        return x @ weight
