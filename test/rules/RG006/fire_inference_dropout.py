# The same shapes as silent_inference_dropout.py, without a word saying the dropout is meant for inference. An
# explicit `training=True` alone is a written choice Reglens cannot tell from the mistake: information severity.
import torch.nn as nn
import torch.nn.functional as F


class Projection(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(a, b, bias=False) for a, b in zip(sizes, sizes[1:])])

    def forward(self, x):
        for linear in self.layers:
            x = F.dropout(F.relu(linear(x)), p=0.5, training=True)  # expect: RG006 (info)
        return x


class DecoderInput(nn.Module):
    def __init__(self, dim, p):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.p = p

    def forward(self, x):
        x = F.dropout(self.fc(x), p=self.p)  # expect: RG006 (warning)
        return x


class Gate(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p
        self.enabled = False

    def forward(self, x):
        if self.p > 0 and self.enabled:
            return F.dropout(x, p=self.p, training=True)  # expect: RG006 (info)
        return x


class NoisePredictor(nn.Module):
    # A diffusion model's network: trained and evaluated like any other, whatever its name.
    def __init__(self, dim):
        super().__init__()
        self.hidden = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, x):
        return self.out(F.dropout(self.hidden(x), p=0.1))  # expect: RG006 (warning)
