import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x, inplace):
        F.dropout(x, self.p, training=self.training, inplace=True)
        F.dropout(x, self.p, self.training, True)
        F.dropout(x, self.p, training=self.training, inplace=inplace)
        torch.dropout_(x, self.p, self.training)
        x = F.dropout(x, self.p, training=self.training)
        y = [F.dropout(x, self.p, training=self.training)]
        return F.dropout(x, self.p, training=self.training) + y[0]
