# entry: Dropout
# expect: granularity=element drop=0.5 train=1 eval=1
import torch
import torch.nn as nn


class Dropout(nn.Module):
    """Dropout written out by hand, as in the LLMs-from-scratch exercises."""

    def __init__(self, p=0.5):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError("p must be a probability")
        self.p = p

    def forward(self, x):
        if self.training:
            mask = torch.bernoulli(torch.full_like(x, 1 - self.p))
            return x * mask / (1 - self.p)
        return x
