# entry: SplatDropout
# expect: granularity=element drop=0.3 train=1 eval=1
import torch
import torch.nn as nn


class SplatDropout(nn.Module):
    def __init__(self, rate=0.3):
        super().__init__()
        self.rate = rate

    def forward(self, x):
        if not self.training:
            return x
        keep = (torch.rand(*x.shape, device=x.device) >= self.rate).float()
        return keep * x / (1 - self.rate)
