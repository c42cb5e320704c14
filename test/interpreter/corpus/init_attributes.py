# entry: ScaledDropout
# expect: granularity=element drop=0.25 train=1 eval=1
import torch
import torch.nn as nn


class ScaledDropout(nn.Module):
    def __init__(self, p=0.25, dim=768):
        super().__init__()
        self.keep = 1.0 - p
        self.scale = 1.0 / self.keep
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        if self.training:
            m = torch.rand_like(x).lt(self.keep)
            x = x * m.float() * self.scale
        return x
