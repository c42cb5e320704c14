# Feed-forwards chosen at run time, each ending with its own dropout, wrapped in another dropout by the block:# MiniMind's `FeedForward(config) if not config.use_moe else MOEFeedForward(config)`, a class held in a local name,# and a `functools.partial` of the class (DALLE-pytorch's `attn_class = partial(Attention, stable=stable)`).
from functools import partial

import torch
import torch.nn as nnimport torch.nn.functional as F
class FeedForward(nn.Module):    def __init__(self, config):
        super().__init__()        self.gate_proj = nn.Linear(config.hidden_size, config.intermediate_size, bias=False)
        self.down_proj = nn.Linear(config.intermediate_size, config.hidden_size, bias=False)
        self.up_proj = nn.Linear(config.hidden_size, config.intermediate_size, bias=False)        self.dropout = nn.Dropout(config.dropout)
    def forward(self, x):        return self.dropout(self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x)))


class MOEFeedForward(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.experts = nn.ModuleList([nn.Linear(config.hidden_size, config.hidden_size) for _ in range(4)])
        self.gate = nn.Linear(config.hidden_size, 4, bias=False)
        self.dropout = nn.Dropout(config.dropout)
    def forward(self, x):
        scores = self.gate(x).softmax(dim=-1)
        y = torch.stack([e(x) for e in self.experts], dim=-1)
        return self.dropout((y * scores.unsqueeze(-2)).sum(dim=-1))


class MiniMindBlock(nn.Module):
    def __init__(self, layer_id, config):
        super().__init__()
        self.post_attention_layernorm = nn.LayerNorm(config.hidden_size)        self.mlp = FeedForward(config) if not config.use_moe else MOEFeedForward(config)
        self.resid_dropout = nn.Dropout(config.dropout)
    def forward(self, hidden_states):
        residual = hidden_states
        return residual + self.resid_dropout(self.mlp(self.post_attention_layernorm(hidden_states)))  # expect: RG010
class HeldClassBlock(nn.Module):
    def __init__(self, config):
        super().__init__()
        ffn_class = MOEFeedForward if config.use_moe else FeedForward
        self.norm = nn.LayerNorm(config.hidden_size)        self.ffn = ffn_class(config)
        self.drop = nn.Dropout(config.dropout)

    def forward(self, x):
        return x + self.drop(self.ffn(self.norm(x)))  # expect: RG010

class Mlp(nn.Module):
    def __init__(self, dim, hidden_dim, proj_drop=0.0):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden_dim)
        self.fc2 = nn.Linear(hidden_dim, dim)
        self.drop = nn.Dropout(proj_drop)

    def forward(self, x):
        return self.drop(self.fc2(F.gelu(self.fc1(x))))

class PartialBlock(nn.Modu
        ),
        (
            "cudaDevAttrMaxSurface2DLayeredHeight",
            (
                "hipDeviceAttributeMaxSurface2DLayeredHeight",
                CONV_TYPE,
                API_RUNTIME,
                HIP_UNSUPPORTED,
            ),
        ),
        (
            "cudaDevAttrMaxSurface2DLayeredLayers",
            (
                "hipDeviceAttributeMaxSurface2DLayeredLayers",
                CONV_TYPE,
                API_RUNTIME,
                HIP_UNSUPPORTED,
            ),
        ),
        (
            "cudaDevAttrMaxSurfaceCubemapWidth",
            (
                "hipDeviceAttributeMaxSurfaceCubemapWidth",
                CONV_TYPE,
                API_RUNTIME,
                HIP_UNSUPPORTED,
            ),
        ),
        (
            "cudaDevAttrMaxSurfaceCubemapLayeredWidth",
            (
                "hipDeviceAttributeMaxSurfaceCubemapLayeredWidth",
                CONV_TYPE,
                API_RUNTIME,
                HIP_UNSUPPORTED,
            ),
        ),
        (
            "cudaDevAttrMaxSurfaceCubemapLayeredLayers",
            (
                "hipDeviceAttributeMaxSurfaceCubemapLayeredLayers",
                CONV_TYPE,
                API_RUNTIME,
                HIP_UNSUPPORTED,
            ),
        ),
        (
            "cudaDevAttrMaxTexture1DLinearWidth",
            (
                "hipDeviceAttributeMaxTexture1DLinearWidth",
                CONV_TYPE,
                APlf, dim, mlp_ratio=4, proj_drop=0.1):
        super().__init__()
        mlp_layer = partial(Mlp, proj_drop=proj_drop)
        self.norm = nn.LayerNorm(dim)
        self.mlp = mlp_layer(dim, dim * mlp_ratio)        self.drop = nn.Dropout(proj_drop)
    def forward(self, x):
        return x + self.drop(self.mlp(self.norm(x)))  # expect: RG010
