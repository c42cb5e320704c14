# entry: WhereDropout
# expect: granularity=element drop=0.1 train=1 eval=1
import torch
import torch.nn as nn


class WhereDropout(nn.Module):
    def __init__(self, p=0.1):
        super().__init__()
        self.keep = 1.0 - p

    def forward(self, x):
        if self.training:
            keep_mask = torch.rand(x.shape, device=x.device) < self.keep
            x = torch.where(keep_mask, x / self.keep, torch.zeros_like(x))
        return x
