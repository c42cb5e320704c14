import torch
import torch.nn as nn


def skip_branch(x, p, training=False):
    """Randomly skips the residual branch it is given."""
    if not training or p == 0.0:
        return x
    keep = 1 - p
    gate = x.new_empty(1).bernoulli_(keep)  # expect: RG003
    return x * gate / keep


def coin_branch(x, p, training=False):
    if not training:
        return x
    coin = torch.bernoulli(torch.tensor(1 - p))  # expect: RG003
    return x * coin / (1 - p)


class BranchGate(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        keep = 1 - self.p
        # Meant as one decision per sample, but FloatTensor takes the tuple as its values.
        gate = torch.FloatTensor((x.shape[0], 1, 1)).bernoulli_(keep).to(x.device)  # expect: RG003
        return x * gate / keep


class Block(nn.Module):
    def __init__(self, dim, p):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.gate = BranchGate(p)
        self.p = p

    def forward(self, x):
        x = x + skip_branch(self.fc(x), self.p, self.training)
        x = x + self.gate(self.fc(x))
        x += coin_branch(self.fc(x), self.p, self.training)
        return x
