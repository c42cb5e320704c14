# entry: GaussianDropout
# expect: granularity=none drop=0 train=1 eval=1
import math

import torch
import torch.nn as nn


class GaussianDropout(nn.Module):
    """Multiplicative Gaussian noise with the variance of dropout at rate p: drops nothing."""

    def __init__(self, p=0.5):
        super().__init__()
        self.sigma = math.sqrt(p / (1 - p))

    def forward(self, x):
        if self.training:
            return x * (1 + torch.randn_like(x) * self.sigma)
        return x
