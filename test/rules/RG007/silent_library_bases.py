# Submodules a library base uses. Shortened from torchvision's `nn.Sequential` blocks, a Hugging Face fine-tuning
# head built on `BertModel` (whose own `forward` reads `self.dropout`) and a timm `Block` with its drop paths.
import torch.nn as nn
from timm.layers import DropPath
from timm.models.vision_transformer import Block as TimmBlock
from transformers import BertModel


class ConvBlock(nn.Sequential):
    def __init__(self, cin, cout, p):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3)
        self.act = nn.ReLU()
        # Registered as a child: `nn.Sequential.forward` runs it after `act`.
        self.drop = nn.Dropout(p)


class Stack(nn.ModuleList):
    def __init__(self, dim, p):
        super().__init__([nn.Linear(dim, dim)])
        self.append(nn.Linear(dim, dim))
        self.drop = nn.Dropout(p)

    def forward(self, x):
        for layer in self:
            x = layer(x)
        return x


class TunedBert(BertModel):
    def __init__(self, config):
        super().__init__(config)
        # Replaces the dropout BertModel's own code applies.
        self.dropout = nn.Dropout(0.2)


class StochasticBlock(TimmBlock):
    def __init__(self, dim, heads, drop_path=0.1):
        super().__init__(dim, heads)
        # timm's Block.forward applies drop_path1 and drop_path2 itself.
        self.drop_path1 = DropPath(drop_path)
        self.drop_path2 = DropPath(drop_path)
