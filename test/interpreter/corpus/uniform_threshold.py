# entry: UniformDropout
# expect: granularity=element drop=0.35 train=1 eval=1
import torch
import torch.nn as nn


class UniformDropout(nn.Module):
    def __init__(self, p=0.35):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        noise = torch.empty(x.size(), device=x.device).uniform_()
        keep = (noise > self.p).float()
        x = x * keep
        x /= 1 - self.p
        return x
