# entry: HelperDropPath
# expect: granularity=sample drop=0.15 train=1 eval=1
import torch
import torch.nn as nn


def per_sample_shape(x):
    return [x.size(0)] + [1] * (x.dim() - 1)


def keep_mask(x, keep):
    return (torch.rand(per_sample_shape(x), device=x.device) < keep).to(x.dtype)


class HelperDropPath(nn.Module):
    def __init__(self, drop_prob=0.15):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x):
        if not self.training or self.drop_prob == 0.0:
            return x
        keep = 1 - self.drop_prob
        return x * keep_mask(x, keep) / keep
