import torch
import torch.nn as nn


def drop_path(x, drop_prob: float = 0.0, training: bool = False, scale_by_keep: bool = True):
    """timm's drop path: the mask is divided by the keep probability."""
    if drop_prob == 0.0 or not training:
        return x
    keep_prob = 1 - drop_prob
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    random_tensor = x.new_empty(shape).bernoulli_(keep_prob)
    if keep_prob > 0.0 and scale_by_keep:
        random_tensor.div_(keep_prob)
    return x * random_tensor


def drop_path_old(x, drop_prob: float = 0.0, training: bool = False):
    """The older timm form divides the input instead of the mask."""
    if drop_prob == 0.0 or not training:
        return x
    keep_prob = 1 - drop_prob
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    random_tensor = keep_prob + torch.rand(shape, dtype=x.dtype, device=x.device)
    random_tensor.floor_()
    output = x.div(keep_prob) * random_tensor
    return output


def drop_path_switch_off(x, drop_prob=0.0, training=False, scale_by_keep=False):
    if not training:
        return x
    keep_prob = 1 - drop_prob
    mask = x.new_empty((x.shape[0], 1, 1)).bernoulli_(keep_prob)
    if scale_by_keep:
        mask = mask / keep_prob
    return x * mask


class DropPath(nn.Module):
    """Turns the switch of `drop_path_switch_off` on: the default is never used in this file."""

    def __init__(self, drop_prob: float = 0.0):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x):
        return drop_path_switch_off(x, self.drop_prob, self.training, scale_by_keep=True)


class StochasticDepthScaled(nn.Module):
    def __init__(self, p=0.1):
        super().__init__()
        self.p = p
        self.scale = 1.0 / (1.0 - p)

    def forward(self, x):
        if not self.training:
            return x
        mask = torch.rand(x.shape[0], 1, 1, 1, device=x.device) > self.p
        return x * mask * self.scale


class NonInvertedStochasticDepth(nn.Module):
    """The original stochastic depth: no scale in training, multiply by the survival probability in evaluation."""

    def __init__(self, survival=0.8):
        super().__init__()
        self.survival = survival

    def forward(self, x):
        if self.training:
            mask = torch.bernoulli(torch.full((x.shape[0], 1, 1, 1), self.survival, device=x.device))
            return x * mask
        return x * self.survival


class DropPathWhere(nn.Module):
    def __init__(self, drop_prob=0.1):
        super().__init__()
        self.keep_prob = 1 - drop_prob

    def forward(self, x):
        if not self.training:
            return x
        keep = torch.rand([x.shape[0]] + [1] * (x.ndim - 1), device=x.device) < self.keep_prob
        return torch.where(keep, x / self.keep_prob, torch.zeros_like(x))


def drop_path_mul(x, drop_prob, training=False):
    if not training or drop_prob == 0.0:
        return x
    keep_prob = 1.0 - drop_prob
    mask = torch.empty(x.shape[0], 1, 1, dtype=x.dtype, device=x.device).bernoulli_(keep_prob)
    return x * mask * (1.0 / keep_prob)


def drop_path_uniform(x, drop_prob=0.1, training=False):
    if not training:
        return x
    keep_prob = 1 - drop_prob
    noise = torch.empty((x.shape[0], 1, 1, 1), device=x.device).uniform_()
    return x * (noise < keep_prob).to(x.dtype) / keep_prob
