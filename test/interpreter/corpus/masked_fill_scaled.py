# entry: MaskedDropout
# expect: granularity=element drop=0.2 train=1 eval=1
import torch
import torch.nn as nn


class MaskedDropout(nn.Module):
    def __init__(self, p=0.2):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        drop = torch.rand_like(x) < self.p
        return x.masked_fill(drop, 0.0) / (1.0 - self.p)
