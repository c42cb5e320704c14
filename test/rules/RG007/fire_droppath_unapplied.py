# Drop paths built and never applied, as ViT ports write them: the fix applies each to the residual branches
# `forward` shows (removing it is the editor's second choice).
import torch
import torch.nn as nn
from timm.layers import DropPath


class Block(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio=4.0, drop_path=0.1):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, num_heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, int(dim * mlp_ratio)), nn.GELU(), nn.Linear(int(dim * mlp_ratio), dim))
        self.drop_path = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()  # expect: RG007

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        x = x + self.mlp(self.norm2(x))
        return x


class LayerScaleBlock(nn.Module):
    def __init__(self, dim, drop_path=0.1, init_values=1e-5):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.Linear(dim, dim)
        self.ls1 = nn.Identity()
        self.drop_path1 = DropPath(drop_path)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Linear(dim, dim)
        self.ls2 = nn.Identity()
        self.drop_path2 = DropPath(drop_path)  # expect: RG007

    def forward(self, x):
        x = x + self.drop_path1(self.ls1(self.attn(self.norm1(x))))
        x += self.ls2(self.mlp(self.norm2(x)))
        return x
