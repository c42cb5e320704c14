import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.layers import drop_path


class Block(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p
        self.h = None

    def forward(self, x, y):
        F.dropout(x, self.p, training=self.training)  # expect: RG011
        F.dropout(self.h, self.p, training=self.training)  # expect: RG011
        torch.dropout(y[0], self.p, self.training)  # expect: RG011
        drop_path(x, self.p, self.training)  # expect: RG011
        F.dropout(x + y, self.p, training=self.training, inplace=False)  # expect: RG011
        return x + y
