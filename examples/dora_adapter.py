"""A DoRA-style adapter in the manner of NVIDIA NeMo's `DoRALinear` (before its fix in 6155913)."""
from torch import nn


class DoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, rank: int = 8, dropout: float = 0.1):
        super().__init__()
        self.base = base
        self.norm = nn.LayerNorm(base.in_features)
        self.down = nn.Linear(base.in_features, rank, bias=False)
        self.up = nn.Linear(rank, base.out_features, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        h = self.norm(x)
        out = self.base(h) + self.up(self.down(self.dropout(h)))
        # Bug: the dropout's noise is `self.dropout(h) - h`; subtracting `x` adds `h - x`, in evaluation too.
        return out + self.base(self.dropout(h) - x)
