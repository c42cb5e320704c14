# Drop path and dropout modules written by hand that stop in evaluation (timm, DINOv2, Megatron-LM, torchvision), or
# that say they are meant to run at inference. Silent.
import torch
import torch.nn as nn


def drop_path(x, drop_prob: float = 0.0, training: bool = False):
    if drop_prob == 0.0 or not training:
        return x
    keep_prob = 1 - drop_prob
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)  # work with diff dim tensors, not just 2D ConvNets
    random_tensor = x.new_empty(shape).bernoulli_(keep_prob)
    if keep_prob > 0.0:
        random_tensor.div_(keep_prob)
    output = x * random_tensor
    return output


class DropPath(nn.Module):
    """Drop paths (Stochastic Depth) per sample (when applied in main path of residual blocks)."""

    def __init__(self, drop_prob=None):
        super(DropPath, self).__init__()
        self.drop_prob = drop_prob

    def forward(self, x):
        return drop_path(x, self.drop_prob, self.training)


class MegatronDropPath(nn.Module):
    def __init__(self, drop_prob=0.1):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, hidden_state):
        if self.drop_prob == 0. or not self.training:
            return hidden_state
        keep_prob = 1 - self.drop_prob
        shape = (1,) + (hidden_state.shape[1],) + (1,) * (hidden_state.ndim - 2)
        random_tensor = keep_prob + \
            torch.rand(shape, dtype=hidden_state.dtype, device=hidden_state.device)
        random_tensor.floor_()  # binarize
        output = hidden_state.div(keep_prob) * random_tensor
        return output


class StochasticDepth(nn.Module):
    """timm's drop path written into `forward`."""

    def __init__(self, p=0.1):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = 1 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        return x * mask / keep


class MCDropout(nn.Module):
    """Monte Carlo dropout: masks at inference on purpose, to sample predictions."""

    def __init__(self, p=0.1):
        super().__init__()
        self.p = p

    def forward(self, x):
        keep = 1 - self.p
        mask = (torch.rand_like(x) < keep).float()
        return x * mask / keep


class Block(nn.Module):
    """A method that drops samples, called only in training."""

    def __init__(self, dim, drop_prob=0.1):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.drop_prob = drop_prob

    def _drop_path(self, x):
        keep = 1 - self.drop_prob
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        return x * mask / keep

    def forward(self, x):
        out = self.fc(x)
        if self.training:
            out = self._drop_path(out)
        return x + out
