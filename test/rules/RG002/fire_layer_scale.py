# silent_layer_scale.py without the layer scale on the attention branch: bare next to the dropped MLP branch.
import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, dim, heads, drop=0.1):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim), nn.Dropout(drop))
        self.gamma_2 = nn.Parameter(1e-5 * torch.ones(dim))

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attn(h, h, h)[0]  # expect: RG002
        return x + self.gamma_2 * self.mlp(self.norm2(x))
