# Drop path on residual branches as BEiT / data2vec write them, and dropout before the classifier.
import torch
import torch.nn as nn
from timm.layers import DropPath


class Block(nn.Module):
    def __init__(self, dim, drop_path=0.1, init_values=0.1):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.mlp = nn.Linear(dim, dim)
        self.drop_path = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()
        self.gamma_2 = nn.Parameter(init_values * torch.ones(dim))

    def forward(self, x):
        fc_feature = self.drop_path(self.gamma_2 * self.mlp(self.norm1(x)))
        x = x + fc_feature
        shortcut = x
        x = self.drop_path(self.mlp(x))
        x = shortcut + x
        x += self.drop_path(self.mlp(x)) * self.gamma_2
        y = self.drop_path(self.mlp(x))
        x = torch.add(x, y)
        z = self.drop_path(self.mlp(x))
        return x, z


class Branch(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.mlp = nn.Linear(dim, dim)
        self.drop_path = DropPath(0.1)

    def forward(self, x):
        return self.drop_path(self.mlp(x))


class Classifier(nn.Module):
    def __init__(self, hidden, num_classes, p=0.5):
        super().__init__()
        self.fc1 = nn.Linear(784, hidden)
        self.fc2 = nn.Linear(hidden, num_classes)
        self.dropout = nn.Dropout(p)

    def forward(self, x):
        x = self.dropout(torch.relu(self.fc1(x)))
        return self.fc2(x)
