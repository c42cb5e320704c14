import torch
import torch.nn as nn
import torch.nn.functional as F


def drop_path(x, drop_prob: float = 0.0, training: bool = False):
    if drop_prob == 0.0 or not training:
        return x
    keep_prob = 1 - drop_prob
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    random_tensor = x.new_empty(shape).bernoulli_(keep_prob)
    return x * random_tensor  # expect: RG004


def drop_path_switch(x, drop_prob: float = 0.0, training: bool = False, scale_by_keep: bool = False):
    if drop_prob == 0.0 or not training:
        return x
    keep_prob = 1 - drop_prob
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    random_tensor = x.new_empty(shape).bernoulli_(keep_prob)
    if keep_prob > 0.0 and scale_by_keep:
        random_tensor.div_(keep_prob)
    return x * random_tensor  # expect: RG004


def stochastic_depth_floor(x, p, training=True):
    if not training:
        return x
    keep_prob = 1 - p
    random_tensor = keep_prob + torch.rand((x.shape[0], 1, 1, 1), dtype=x.dtype, device=x.device)
    random_tensor.floor_()
    return x * random_tensor  # expect: RG004


def _sample_mask(x, keep_prob):
    return torch.bernoulli(torch.full((x.shape[0], 1, 1), keep_prob, device=x.device))


def drop_path_split(x, drop_prob, training):
    if not training:
        return x
    mask = _sample_mask(x, 1 - drop_prob)
    return x.mul(mask)  # expect: RG004


class DropPath(nn.Module):
    def __init__(self, drop_prob=0.1):
        super().__init__()
        self.keep_prob = 1.0 - drop_prob

    def forward(self, x):
        if not self.training:
            return x
        mask = torch.rand(x.shape[0], 1, 1, device=x.device) < self.keep_prob
        x = x * mask.float()  # expect: RG004
        return x


class StochasticDepthInPlace(nn.Module):
    def __init__(self, p: float = 0.2):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.training:
            drop = torch.rand(x.size(0), 1, 1, 1, device=x.device) < self.p
            x.masked_fill_(drop, 0.0)  # expect: RG004
        return x


class DropPathWhere(nn.Module):
    def __init__(self, drop_prob=0.1):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x):
        if not self.training or self.drop_prob == 0.0:
            return x
        keep = torch.rand([x.shape[0]] + [1] * (x.ndim - 1), device=x.device) >= self.drop_prob
        return torch.where(keep, x, torch.zeros_like(x))  # expect: RG004


class ResidualBlock(nn.Module):
    def __init__(self, dim, drop_path_rate=0.1):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.drop_path = DropPath(drop_path_rate)

    def forward(self, x):
        return x + self.drop_path(F.gelu(self.fc(x)))


def drop_path_by_rate(x, drop_prob: float = 0.1, training: bool = False):
    if drop_prob == 0.0 or not training:
        return x
    keep_prob = 1 - drop_prob
    mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep_prob)
    mask = mask / drop_prob
    return x * mask  # expect: RG004


class DropPathHelperMethod(nn.Module):
    def __init__(self, drop_prob=0.1):
        super().__init__()
        self.keep_prob = 1 - drop_prob

    def _mask(self, x):
        return torch.rand(x.shape[0], 1, 1, 1, device=x.device) < self.keep_prob

    def forward(self, x):
        if not self.training:
            return x
        return x * self._mask(x)  # expect: RG004


class DropPathSwitch(nn.Module):
    def __init__(self, drop_prob=0.1, scale_by_keep=False):
        super().__init__()
        self.drop_prob = drop_prob
        self.scale_by_keep = scale_by_keep

    def forward(self, x):
        if not self.training:
            return x
        keep_prob = 1 - self.drop_prob
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep_prob)
        if self.scale_by_keep:
            mask = mask / keep_prob
        return x * mask  # expect: RG004
