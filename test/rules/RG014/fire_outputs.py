# A drop path that replaces the stream instead of joining a shortcut, and dropout on a classifier's logits.
import torch.nn as nn
import torch.nn.functional as F
from timm.layers import DropPath, drop_path


class Block(nn.Module):
    def __init__(self, dim, drop_path_rate=0.1):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, 8)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0.0 else nn.Identity()
        self.rate = drop_path_rate

    def forward(self, x):
        x = x + self.drop_path(self.attn(self.norm1(x)))
        x = self.drop_path(self.mlp(self.norm2(x)))  # expect: RG014
        x = self.norm1(x)
        x = drop_path(self.mlp(x), self.rate, self.training)  # expect: RG014
        return self.norm2(x)


class Classifier(nn.Module):
    def __init__(self, hidden, num_classes, p=0.5):
        super().__init__()
        self.fc1 = nn.Linear(784, hidden)
        self.fc2 = nn.Linear(hidden, num_classes)
        self.dropout = nn.Dropout(p)
        self.p = p

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        x = self.dropout(x)  # expect: RG014
        return F.log_softmax(F.dropout(self.fc2(x), self.p, self.training), dim=1)  # expect: RG014
