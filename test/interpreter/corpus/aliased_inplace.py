# entry: AliasDropPath
# expect: granularity=sample drop=0.2 train=1 eval=1
import torch
import torch.nn as nn


class AliasDropPath(nn.Module):
    """The rescale goes through an alias: `scaled` and `mask` are one tensor, so `x * mask` is rescaled too."""

    def __init__(self, drop_prob=0.2):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x):
        if not self.training:
            return x
        keep = 1 - self.drop_prob
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        scaled = mask
        scaled.div_(keep)
        return x * mask
