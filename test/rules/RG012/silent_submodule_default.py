# Submodules built without the parent's rate where that is no mistake: the rate passed on, a child whose default is 0
# (diffusers' down blocks give `dropout` to their resnets and build their transformers without it), a child that
# takes `**kwargs` from the call, and a call that passes another rate.
import torch.nn as nn


class DenseReluDense(nn.Module):
    def __init__(self, hidden_size=512, ff_size=2048, dropout=0.1):
        super().__init__()
        self.dropout = nn.Dropout(dropout)


class Transformer3D(nn.Module):
    def __init__(self, num_attention_heads, attention_head_dim, in_channels, dropout: float = 0.0):
        super().__init__()
        self.dropout = nn.Dropout(dropout)


class Attention(nn.Module):
    def __init__(self, dim, attn_drop=0.1, dropout=0.1):
        super().__init__()
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj_drop = nn.Dropout(dropout)


class LayerFF(nn.Module):
    def __init__(self, ff_proj=None, dropout: float = 0.1):
        super().__init__()
        self.ff_proj = ff_proj or DenseReluDense(dropout=dropout)
        self.dropout = nn.Dropout(dropout)


class DownBlockMotion(nn.Module):
    def __init__(self, in_channels, dropout: float = 0.0, num_heads=8):
        super().__init__()
        self.resnet = nn.Conv2d(in_channels, in_channels, 3)
        self.drop = nn.Dropout(dropout)
        self.motion = Transformer3D(num_heads, in_channels // num_heads, in_channels)


class Positional(nn.Module):
    def __init__(self, dim, dropout=0.1, **kwargs):
        super().__init__()
        self.ff = DenseReluDense(dim, **kwargs)
        self.attn = Attention(dim, attn_drop=dropout)
        self.drop = nn.Dropout(dropout)
