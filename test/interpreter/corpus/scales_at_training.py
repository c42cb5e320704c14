# entry: ScalesAtTraining
# expect: granularity=element drop=0.2 train=0.64 eval=1
import torch
import torch.nn as nn


class ScalesAtTraining(nn.Module):
    def __init__(self, p=0.2):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.training:
            mask = torch.bernoulli(torch.full_like(x, 1 - self.p))
            return x * mask * (1 - self.p)
        return x
