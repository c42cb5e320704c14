import torch.nn as nn
import torch.nn.functional as F
from timm.layers import DropPath

from .base import ExternalBase


class Uses(nn.Module):
    def __init__(self, dim, p=0.1, drop_path=0.0):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.called = nn.Dropout(p)
        self.read = nn.Dropout(p)
        self.passed = nn.Dropout(p)
        self.lambda_use = nn.Dropout(p)
        self.branch = DropPath(drop_path)
        self.in_dict = nn.Dropout(p)
        self.in_seq = nn.Dropout(p)
        self.net = nn.Sequential(self.fc, self.in_seq)
        self.heads = nn.ModuleDict({"drop": self.in_dict})
        self.act = lambda t: self.lambda_use(t)

    def forward(self, x, use_branch=False):
        x = self.called(self.fc(x))
        x = F.dropout(x, self.read.p, training=self.training)
        x = apply(self.passed, x)
        if use_branch:
            x = self.branch(x)
        return self.net(self.act(x))


def apply(m, x):
    return m(x)


class Parent(nn.Module):
    def forward(self, x):
        return self.drop(x)


class Template(Parent):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.1)


class ParentSets(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.1)


class ChildUses(ParentSets):
    def forward(self, x):
        return self.drop(x)


class FromElsewhere(ExternalBase):
    def __init__(self):
        super().__init__()
        # ExternalBase.forward may well call self.drop.
        self.drop = nn.Dropout(0.1)


class Dynamic(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.1)
        self.lin = nn.Linear(4, 4)

    def forward(self, x):
        for m in self.children():
            x = m(x)
        return x


class ByName(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        return getattr(self, "drop")(x)


class NotAModule:
    def __init__(self):
        self.drop = nn.Dropout(0.1)
