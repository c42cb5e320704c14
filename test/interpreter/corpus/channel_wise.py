# entry: ChannelDrop
# expect: granularity=channel drop=0.3 train=1 eval=1
import torch
import torch.nn as nn


class ChannelDrop(nn.Module):
    """Drops whole channels (dim 1) of each sample, like Dropout1d."""

    def __init__(self, p=0.3):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        b, c = x.shape[0], x.shape[1]
        mask = (torch.rand(b, c, 1, device=x.device) > self.p).float()
        return x * mask / (1 - self.p)
