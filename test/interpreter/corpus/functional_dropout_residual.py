# entry: ResidualDropout
# expect: granularity=element drop=0.1 train=1 eval=1
import torch
import torch.nn as nn
import torch.nn.functional as F


class ResidualDropout(nn.Module):
    """Dropout of the branch only, via F.dropout, then the residual: y = x + drop(x * g) - x * g with g = 1."""

    def __init__(self, p=0.1):
        super().__init__()
        self.p = p
        self.gain = 1.0

    def forward(self, x):
        branch = x * self.gain
        return F.dropout(branch, self.p, training=self.training)
