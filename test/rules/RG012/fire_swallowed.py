# A rate keyword that the callee has no parameter for and that its `**kwargs` swallows.
import torch.nn as nn


class FeedForward(nn.Module):
    def __init__(self, dim, mult=4, **kwargs):
        super().__init__()
        self.act = kwargs.get("activation", nn.GELU)()
        self.net = nn.Sequential(nn.Linear(dim, dim * mult), self.act, nn.Linear(dim * mult, dim))


def conv_block(channels, kernel_size=3, **kwargs):
    return nn.Sequential(nn.Conv2d(channels, channels, kernel_size), nn.ReLU())


class Block(nn.Module):
    def __init__(self, dim, ff_dropout=0.1):
        super().__init__()
        self.ff = FeedForward(dim, dropout=ff_dropout)  # expect: RG012
        self.conv = conv_block(dim, drop_rate=ff_dropout)  # expect: RG012
