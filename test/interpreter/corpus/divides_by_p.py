# entry: DividesByP
# expect: granularity=element drop=0.1 train=9 eval=1
import torch
import torch.nn as nn


class DividesByP(nn.Module):
    def __init__(self, p=0.1):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.training:
            mask = torch.rand(x.shape, device=x.device) > self.p
            x = x * mask / self.p
        return x
