# timm style: the block threads `proj_drop` to its MLP but builds the attention without it.
import torch
import torch.nn as nn
from timm.layers import Attention, DropPath, Mlp


class Block(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio=4.0, proj_drop=0.0, attn_drop=0.0, drop_path=0.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, num_heads=num_heads, qkv_bias=True, attn_drop=attn_drop)  # expect: RG002
        self.drop_path1 = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(in_features=dim, hidden_features=int(dim * mlp_ratio), drop=proj_drop)
        self.drop_path2 = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()

    def forward(self, x):
        x = x + self.drop_path1(self.attn(self.norm1(x)))
        x = x + self.drop_path2(self.mlp(self.norm2(x)))
        return x


class VisionTransformer(nn.Module):
    def __init__(self, dim=384, depth=12, num_heads=6, drop_rate=0.0, drop_path_rate=0.1):
        super().__init__()
        dpr = [x.item() for x in torch.linspace(0, drop_path_rate, depth)]
        self.blocks = nn.Sequential(*[Block(dim, num_heads, proj_drop=drop_rate, drop_path=dpr[i]) for i in range(depth)])
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        return self.norm(self.blocks(x))


class PlainBlock(nn.Module):
    """Without drop path, the missing projection dropout leaves the attention branch bare."""

    def __init__(self, dim, num_heads, proj_drop=0.1):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(  # expect: RG002
            dim,
            num_heads=num_heads,
        )
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, dim * 4, drop=proj_drop)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))
