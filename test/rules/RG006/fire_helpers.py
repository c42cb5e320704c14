import torch
import torch.nn as nn
import torch.nn.functional as F

drop = F.dropout


def regularize(h, rate):
    """A small wrapper: no training flag reaches the functional dropout."""
    h = F.dropout(h, rate)
    return h


def sample_layers(layers, prob):
    # Skip each layer with probability `prob`; keep at least one.
    skipped = torch.zeros(len(layers)).uniform_(0.0, 1.0) < prob
    kept = [layer for layer, skip in zip(layers, skipped) if not skip]
    return kept or layers[:1]


class Encoder(nn.Module):
    def __init__(self, dim, depth, p=0.1, layer_drop=0.2):
        super().__init__()
        self.p = p
        self.layer_drop = layer_drop
        self.layers = nn.ModuleList([nn.Linear(dim, dim) for _ in range(depth)])

    def forward(self, x):
        x = drop(x, self.p)  # expect: RG006
        x = regularize(x, self.p)  # expect: RG006
        for layer in sample_layers(self.layers, self.layer_drop):  # expect: RG006
            x = layer(x)
        return x


class TokenDropout(nn.Module):
    """Drops whole tokens of a (batch, tokens, dim) input."""

    def __init__(self, token_drop_rate=0.1):
        super().__init__()
        self.token_drop_rate = token_drop_rate

    def forward(self, x):
        keep = torch.rand(x.shape[:2], device=x.device) >= self.token_drop_rate  # expect: RG006
        x = x * keep.unsqueeze(-1)
        bern = torch.bernoulli(torch.full(x.shape[:2], 1 - self.token_drop_rate))  # expect: RG006
        return x * bern.unsqueeze(-1)
