# entry: AlwaysOn
# expect: granularity=element drop=0.1 train=1 eval=stochastic
import torch
import torch.nn as nn


class AlwaysOn(nn.Module):
    """Forgets self.training: still drops in evaluation."""

    def __init__(self, p=0.1):
        super().__init__()
        self.p = p

    def forward(self, x):
        mask = torch.rand_like(x) > self.p
        return x * mask / (1 - self.p)
