# entry: ClassicDropout
# expect: granularity=element drop=0.2 train=0.8 eval=0.8
import torch
import torch.nn as nn


class ClassicDropout(nn.Module):
    """Non-inverted dropout (Srivastava et al.): no scale in training, multiply by 1 - p at test time."""

    def __init__(self, p=0.2):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.training:
            return x * (torch.rand_like(x) >= self.p).float()
        return x * (1 - self.p)
