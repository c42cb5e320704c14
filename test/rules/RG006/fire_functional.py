import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn import functional as fn
from torch.nn.functional import dropout, dropout2d
from torchvision.ops import stochastic_depth

drop = F.dropout


class Head(nn.Module):
    def __init__(self, dim, p=0.1):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.p = p

    def forward(self, x):
        x = F.dropout(x, self.p)  # expect: RG006
        x = F.dropout(x, p=self.p, inplace=False)  # expect: RG006
        x = F.dropout(x, self.p, training=True)  # expect: RG006
        x = F.dropout(x, self.p, True)  # expect: RG006
        x = fn.dropout1d(x, 0.2)  # expect: RG006
        x = dropout(x, 0.2)  # expect: RG006
        x = dropout2d(x)  # expect: RG006
        x = F.dropout3d(  # expect: RG006
            x, 0.1,
        )
        x = torch.nn.functional.dropout(x, 0.3)  # expect: RG006
        x = torch.dropout(x, 0.1, True)  # expect: RG006
        x = drop(x, 0.1)  # expect: RG006
        x = F.alpha_dropout(x, 0.1, training=True)  # expect: RG006
        x = stochastic_depth(x, 0.1, "row")  # expect: RG006
        return self.fc(x)

    def helper(self, x):
        def inner(y):
            return F.dropout(y, 0.5)  # expect: RG006
        return inner(x)
