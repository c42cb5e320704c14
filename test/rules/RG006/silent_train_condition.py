# `self.train` that is not the method, or that gates nothing the module's mode does not already switch off. Silent.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import Dataset


class Augmented(Dataset):
    """A dataset's `self.train` is its own flag (and a dataset is no module)."""

    def __init__(self, train=True):
        self.train = train

    def __getitem__(self, i):
        x = torch.zeros(4)
        if self.train:
            x = F.dropout(x, 0.1)
        return x


class OwnFlag(nn.Module):
    """The class binds `self.train` to a value of its own."""

    def __init__(self, train=True, p=0.1):
        super().__init__()
        self.train = train
        self.p = p

    def forward(self, x):
        if self.train:
            x = F.dropout(x, self.p)
        return x


class ModuleDropout(nn.Module):
    """`nn.Dropout` reads the module's mode itself: the condition is redundant, not a bug of this rule."""

    def __init__(self, p=0.1):
        super().__init__()
        self.drop = nn.Dropout(p)

    def forward(self, x):
        if self.train:
            x = self.drop(x)
        return x


class Passed(nn.Module):
    def __init__(self, p=0.1):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.train:
            x = F.dropout(x, self.p, training=self.training)
        return x
