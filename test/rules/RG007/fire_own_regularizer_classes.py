# A regularizer class of the project's own is a regularizer as timm's is. Shortened from DINOv2, which keeps timm's
# drop path in dinov2/layers/drop_path.py and whose Block applies `drop_path1` twice ("FIXME: drop_path2"), and from
# fairseq, whose FairseqDropout only applies `F.dropout` to its input.
from typing import Callable

import torch.nn.functional as F
from torch import Tensor, nn


def drop_path(x, drop_prob: float = 0.0, training: bool = False):
    if drop_prob == 0.0 or not training:
        return x
    keep_prob = 1 - drop_prob
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)  # work with diff dim tensors, not just 2D ConvNets
    random_tensor = x.new_empty(shape).bernoulli_(keep_prob)
    if keep_prob > 0.0:
        random_tensor.div_(keep_prob)
    output = x * random_tensor
    return output


class DropPath(nn.Module):
    """Drop paths (Stochastic Depth) per sample (when applied in main path of residual blocks)."""

    def __init__(self, drop_prob=None):
        super(DropPath, self).__init__()
        self.drop_prob = drop_prob

    def forward(self, x):
        return drop_path(x, self.drop_prob, self.training)


class FairseqDropout(nn.Module):
    def __init__(self, p, module_name=None):
        super().__init__()
        self.p = p
        self.module_name = module_name
        self.apply_during_inference = False

    def forward(self, x, inplace: bool = False):
        if self.p > 0 and (self.training or self.apply_during_inference):
            return F.dropout(x, p=self.p, training=True, inplace=inplace)
        else:
            return x


class Block(nn.Module):
    def __init__(
        self,
        dim: int,
        drop_path: float = 0.0,
        norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
    ) -> None:
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = nn.Linear(dim, dim)
        self.drop_path1 = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()

        self.norm2 = norm_layer(dim)
        self.mlp = nn.Linear(dim, dim)
        self.drop_path2 = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()  # expect: RG007 (info)

        self.sample_drop_ratio = drop_path

    def forward(self, x: Tensor) -> Tensor:
        def attn_residual_func(x: Tensor) -> Tensor:
            return self.attn(self.norm1(x))

        def ffn_residual_func(x: Tensor) -> Tensor:
            return self.mlp(self.norm2(x))

        if self.training and self.sample_drop_ratio > 0.0:
            x = x + self.drop_path1(attn_residual_func(x))
            x = x + self.drop_path1(ffn_residual_func(x))  # FIXME: drop_path2
        else:
            x = x + attn_residual_func(x)
            x = x + ffn_residual_func(x)
        return x


class PositionwiseFeedForward(nn.Module):
    def __init__(self, in_dim, hidden_dim, dropout):
        super().__init__()
        self.ffn = nn.Sequential(nn.Linear(in_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, in_dim))
        self.layer_norm = nn.LayerNorm(in_dim)
        self.dropout_module = FairseqDropout(p=dropout, module_name=self.__class__.__name__)  # expect: RG007 (warning)

    def forward(self, x):
        residual = x
        x = self.ffn(x)
        return self.layer_norm(x + residual)
