import torch.nn as nn
import torch.nn.functional as F
from timm.layers import DropPath


class Dropout(nn.Module):
    """The user's own Dropout: not PyTorch's, so constructing it in forward is their business."""

    def forward(self, x):
        return x


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        x = nn.Dropout(0.1)(x)  # expect: RG006
        x = nn.Dropout2d(p=0.2, inplace=True)(x)  # expect: RG006
        x = DropPath(0.1)(x)  # expect: RG006
        x = Dropout()(x)
        return self.drop(self.fc(x))
