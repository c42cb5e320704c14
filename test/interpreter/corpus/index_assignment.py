# entry: ZeroByIndex
# expect: granularity=element drop=0.3 train=1 eval=1
import torch
import torch.nn as nn


class ZeroByIndex(nn.Module):
    def __init__(self, rate=0.3):
        super().__init__()
        self.rate = rate

    def forward(self, x):
        if not self.training:
            return x
        out = x.clone()
        out[torch.rand_like(out) < self.rate] = 0
        return out * (1 / (1 - self.rate))
