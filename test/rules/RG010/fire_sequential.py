# Two dropouts in a row, in several spellings: a Sequential that ends with dropout, element-wise steps between, a helper method.
import torch.nn as nn
import torch.nn.functional as F


def FeedForward(dim, hidden_dim, dropout=0.0):
    return nn.Sequential(
        nn.LayerNorm(dim),
        nn.Linear(dim, hidden_dim),
        nn.GELU(),
        nn.Linear(hidden_dim, dim),
        nn.Dropout(dropout),
    )


class Mixer(nn.Module):
    def __init__(self, dim, hidden, p=0.1):
        super().__init__()
        self.ff = FeedForward(dim, hidden, p)
        self.proj = nn.Linear(dim, dim)
        self.drop1 = nn.Dropout(p)
        self.drop2 = nn.Dropout(p)
        self.out_drop = nn.Dropout(0.2)

    def forward(self, x):
        h = self.drop1(self.proj(x))
        h = F.gelu(h) * 2.0
        h = h.view(x.shape)
        h = self.drop2(h)  # expect: RG010
        y = self.out_drop(self.ff(x))  # expect: RG010
        return h + self._scaled(y)

    def _scaled(self, y):
        y = F.dropout(y, p=0.1, training=self.training)  # expect: RG010
        return y
