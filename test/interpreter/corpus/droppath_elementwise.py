# entry: DropPath
# expect: granularity=element drop=0.1 train=1 eval=1
import torch
import torch.nn as nn


class DropPath(nn.Module):
    """Named drop path, but one decision per element: this is dropout."""

    def __init__(self, drop_prob=0.1):
        super().__init__()
        self.drop_prob = drop_prob
        self.keep_prob = 1 - drop_prob

    def forward(self, x):
        if not self.training:
            return x
        mask = torch.empty(x.shape, device=x.device).bernoulli_(self.keep_prob)
        return x * mask.div(self.keep_prob)
