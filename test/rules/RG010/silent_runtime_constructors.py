# Modules chosen at run time where one choice does not end with dropout, or where the dropout is switched off by the
# keywords a `functools.partial` or a `**dd` dict fixes: no value is known to be dropped twice.
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F


class FeedForward(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.up = nn.Linear(config.hidden_size, config.intermediate_size)
        self.down = nn.Linear(config.intermediate_size, config.hidden_size)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        return self.dropout(self.down(F.silu(self.up(x))))


class MOEFeedForward(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.experts = nn.ModuleList([nn.Linear(config.hidden_size, config.hidden_size) for _ in range(4)])
        self.gate = nn.Linear(config.hidden_size, 4, bias=False)

    def forward(self, x):
        scores = self.gate(x).softmax(dim=-1)
        y = torch.stack([e(x) for e in self.experts], dim=-1)
        return (y * scores.unsqueeze(-2)).sum(dim=-1)


class MoEBlock(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.mlp = FeedForward(config) if not config.use_moe else MOEFeedForward(config)
        ffn_class = MOEFeedForward if config.use_moe else FeedForward
        self.ffn = ffn_class(config)
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        x = x + self.resid_dropout(self.mlp(x))
        return x + self.resid_dropout(self.ffn(x))


class Mlp(nn.Module):
    def __init__(self, dim, hidden_dim, proj_drop=0.0, device=None, dtype=None):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden_dim, device=device, dtype=dtype)
        self.fc2 = nn.Linear(hidden_dim, dim, device=device, dtype=dtype)
        self.drop = nn.Dropout(proj_drop)

    def forward(self, x):
        return self.drop(self.fc2(F.gelu(self.fc1(x))))


class PartialBlock(nn.Module):
    def __init__(self, dim, proj_drop=0.1, device=None, dtype=None):
        super().__init__()
        dd = {"device": device, "dtype": dtype, "proj_drop": 0.0}
        mlp_layer = partial(Mlp, proj_drop=0.0)
        self.mlp = mlp_layer(dim, dim * 4)
        self.mlp2 = Mlp(dim, dim * 4, **dd)
        self.drop = nn.Dropout(proj_drop)

    def forward(self, x):
        x = x + self.drop(self.mlp(x))
        return x + self.drop(self.mlp2(x))
