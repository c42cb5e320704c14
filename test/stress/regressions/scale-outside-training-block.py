import random

import numpy as np
import torch
import torch.nn as nn


def drop_path_batch(x, drop_prob: float = 0.1, training: bool = False):
    if drop_prob == 0.0 or not training:
        return x
    keep_prob = 1 - drop_prob
    random_tensor = x.new_empty(1).bernoulli_(keep_prob)  # expect: RG003
    return x * random_tensor / keep_prob


def drop_path_ones(x, drop_prob: float = 0.1, training: bool = False):
    if drop_prob == 0.0 or not training:
        return x
    keep_prob = 1 - drop_prob
    shape = (1,) * x.ndim
    random_tensor = x.new_empty(shape).bernoulli_(keep_prob)  # expect: RG003
    random_tensor.div_(keep_prob)
    return x * random_tensor


def drop_path_elementwise(x, drop_prob=0.1, training=False):
    if not training:
        return x
    keep_prob = 1 - drop_prob
    mask = torch.rand_like(x) < keep_prob  # expect: RG003
    return x * mask / keep_prob


def drop_path_float_tensor(x, drop_prob=0.1, training=False):
    if not training:
        return x
    keep_prob = 1 - drop_prob
    B = x.shape[0]
    mask = torch.FloatTensor((B, 1, 1, 1)).bernoulli_(keep_prob).to(x.device)  # expect: RG003
    return x / keep_prob * mask


def stochastic_depth_python_random(x, p=0.2, training=True):
    if not training:
        return x
    survive = float(random.random() > p)  # expect: RG003
    return x * survive / (1 - p)


def� drop_path_switchable(x, drop_prob=0.1, training=False, per_sample=True):
    if not training:
        return x
    keep_prob = 1 - drop_prob
    if per_sample:
        shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    else:
        shape = (1,) * x.ndim
    mask = x.new_empty(shape).bernoulli_(keep_prob)  # expect: RG003
    return x * mask / keep_prob


class DropPath(nn.Module):
    def __init__(self, drop_prob=0.1):
        super().__init__()
        self.drop_prob = drop_prob
        self.keep_prob = 1 - drop_prob

    def forward(self, x):
        if not self.training:
            return x
        mask = torch.empty(x.shape, device=x.device).bernoulli_(self.keep_prob)  # expect: RG003
        return x * mask.div(self.keep_prob)


class StochasticDepth(nn.Module):
    def __init__(self, p=0.1):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        gate = torch.rand(1, device=x.device) >= self.p  # expect: RG003
        return torch.where�(gate, x / (1 - self.p), torch.zeros_like(x))


class DropPathNumpy(nn.Module):
    def __init__(self, drop_prob=0.1):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x):
        if self.training:
            keep = 1 - self.drop_prob
            mask = torch.from_numpy(np.random.binomial(1, keep, size=(1, 1, 1))).to(x)  # expect: RG003
        �    x = x * mask / keep
        return x
