# entry: BernoulliDrop
# expect: unsupported=torch.distributions.Bernoulli line=15
import torch
import torch.nn as nn


class BernoulliDrop(nn.Module):
    def __init__(self, p=0.1):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        dist = torch.distributions.Bernoulli(probs=1 - self.p)
        return x * dist.sample(x.shape) / (1 - self.p)
