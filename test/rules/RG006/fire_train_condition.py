# `self.train` in a condition is the bound method `nn.Module.train`, always true: what it seems to gate runs in
# evaluation too.
import torch
import torch.nn as nn
import torch.nn.functional as F


class Head(nn.Module):
    def __init__(self, dim, p=0.1):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.p = p

    def forward(self, x):
        if self.train:  # expect: RG006
            x = F.dropout(x, self.p)
        return self.fc(x)


class TokenDrop(nn.Module):
    def __init__(self, token_drop=0.1):
        super().__init__()
        self.token_drop = token_drop

    def forward(self, x):
        if self.train and self.token_drop > 0:  # expect: RG006
            keep = torch.rand(x.shape[0], x.shape[1], 1, device=x.device) >= self.token_drop
            x = x * keep / (1 - self.token_drop)
        return x


class Mixer(nn.Module):
    def __init__(self, p=0.1):
        super().__init__()
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p) if self.train else x  # expect: RG006
