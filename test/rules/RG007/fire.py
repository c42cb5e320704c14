import torch.nn as nn
from timm.layers import DropPath
from torchvision.ops import StochasticDepth


class Block(nn.Module):
    def __init__(self, dim, p=0.1, drop_path=0.0):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.drop = nn.Dropout(p)  # expect: RG007
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()  # expect: RG007
        self.depth_drop = StochasticDepth(  # expect: RG007
            drop_path, mode="row"
        )
        self.drops = nn.ModuleList([nn.Dropout(p) for _ in range(3)])  # expect: RG007

    def forward(self, x):
        # self.drop(x) is only mentioned in this comment
        return x + self.fc(x)


class OnlyStatement(nn.Module):
    def __init__(self):
        self.drop = nn.Dropout(0.5)  # expect: RG007


class Base(nn.Module):
    def forward(self, x):
        return x


class Child(Base):
    def __init__(self):
        super().__init__()
        self.attn_drop = nn.Dropout(0.1)  # expect: RG007
