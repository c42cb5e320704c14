# Submodules a library base uses. Shortened from torchvision's `nn.Sequential` blocks and a Hugging Face fine-tuning
# head built on `BertModel`, whose own `forward` reads `self.dropout`.
import torch.nn as nn
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
