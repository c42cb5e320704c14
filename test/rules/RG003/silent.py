import torch
import torch.nn as nn
from torch import Tensor


def stochastic_depth(input: Tensor, p: float, mode: str, training: bool = True) -> Tensor:
    """torchvision's stochastic depth: ``"batch"`` randomly zeroes the entire input, ``"row"`` zeroes rows."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}")
    if mode not in ["batch", "row"]:
        raise ValueError(f"mode has to be either 'batch' or 'row', but got {mode}")
    if not training or p == 0.0:
        return input

    survival_rate = 1.0 - p
    if mode == "row":
        size = [input.shape[0]] + [1] * (input.ndim - 1)
    else:
        size = [1] * input.ndim
    noise = torch.empty(size, dtype=input.dtype, device=input.device)
    noise = noise.bernoulli_(survival_rate)
    if survival_rate > 0.0:
        noise.div_(survival_rate)
    return input * noise


def drop_path(x, drop_prob: float = 0.0, training: bool = False, scale_by_keep: bool = True):
    if drop_prob == 0.0 or not training:
        return x
    keep_prob = 1 - drop_prob
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    random_tensor = x.new_empty(shape).bernoulli_(keep_prob)
    if keep_prob > 0.0 and scale_by_keep:
        random_tensor.div_(keep_prob)
    return x * random_tensor


def stochastic_depth_whole_batch(x, drop_prob=0.1, training=False):
    """Stochastic depth in its original form: the whole batch skips the block together."""
    if not training:
        return x
    keep_prob = 1 - drop_prob
    return x * torch.rand(1, device=x.device).lt(keep_prob) / keep_prob


def drop_path_sized(x, drop_prob=0.1, training=False):
    if not training:
        return x
    keep_prob = 1 - drop_prob
    B = x.shape[0]
    mask = torch.FloatTensor(B, 1, 1, 1).bernoulli_(keep_prob).to(x.device)
    return x / keep_prob * mask


class DropPath(nn.Module):
    def __init__(self, drop_prob=0.1):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x):
        if not self.training or self.drop_prob == 0.0:
            return x
        keep_prob = 1 - self.drop_prob
        mask = torch.rand(x.shape[:1] + (1,) * (x.dim() - 1), device=x.device) < keep_prob
        return x * mask / keep_prob


class DropPath3d(nn.Module):
    def __init__(self, p=0.1):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.training:
            B, N, C = x.shape
            mask = x.new_empty((B, 1, 1)).bernoulli_(1 - self.p)
            x = x * mask / (1 - self.p)
        return x


class Dropout(nn.Module):
    """Element-wise masks are dropout, not drop path: RG003 does not apply."""

    def __init__(self, p=0.1):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) > self.p) / (1 - self.p)
