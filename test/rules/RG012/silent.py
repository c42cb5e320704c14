# Rates that do reach something, or that the code keeps on purpose: RG012 stays silent on each.
import inspect

import torch.nn as nn
import torch.nn.functional as F
from dataclasses import dataclass


class Stored(nn.Module):
    def __init__(self, dim, dropout=0.1, attn_dropout=0.0):
        super().__init__()
        self.dropout = dropout
        self.attn = nn.MultiheadAttention(dim, 8, dropout=attn_dropout)

    def forward(self, x):
        return F.dropout(self.attn(x, x, x)[0], self.dropout, self.training)


class ToSuper(Stored):
    def __init__(self, dim, dropout=0.1):
        super().__init__(dim, dropout)


class Deliberate(nn.Module):
    def __init__(
        self,
        d_model,
        dropout=0.0,  # Just to absorb the kwarg
        layer_idx=None,
        **kwargs,
    ):
        super().__init__()
        self.proj = nn.Linear(d_model, d_model)


class Conditioned(nn.Module):
    def __init__(self, dim, drop_rate=0.0):
        super().__init__()
        if drop_rate > 0:
            self.head = nn.Sequential(nn.Dropout(drop_rate), nn.Linear(dim, dim))
        else:
            self.head = nn.Linear(dim, dim)


class Interface(nn.Module):
    def __init__(self, dim, dropout=0.0):
        """Subclasses build the layers."""
        raise NotImplementedError


class Private(nn.Module):
    def __init__(self, dim, _dropout=0.0):
        super().__init__()
        self.fc = nn.Linear(dim, dim)


class Hyperparameters(nn.Module):
    def __init__(self, dim, dropout=0.1):
        super().__init__()
        self.config = {k: v for k, v in locals().items() if k != "self"}


class Discarded(nn.Module):
    def __init__(self, dim, dropout=0.1):
        super().__init__()
        del dropout
        self.fc = nn.Linear(dim, dim)


class Flags(nn.Module):
    def __init__(self, dim, use_dropout=False, dropout_layer=None, drop_last=True):
        super().__init__()
        self.fc = nn.Linear(dim, dim)


class CustomAttnProcessor(nn.Module):
    """The literal is the attention-probability slot; the configured rate drops the output (diffusers)."""

    def __init__(self, hidden_size, dropout=0.0):
        super().__init__()
        self.to_out = nn.ModuleList([nn.Linear(hidden_size, hidden_size), nn.Dropout(dropout)])

    def __call__(self, attn, q, k, v):
        h = F.scaled_dot_product_attention(q, k, v, dropout_p=0.0, is_causal=False)
        return self.to_out[1](self.to_out[0](h))


class Forwarded(nn.Module):
    def __init__(self, dim, dropout=0.1):
        super().__init__()
        self.block = nn.TransformerEncoderLayer(dim, 8, dropout=dropout)

    def forward(self, x):
        # The block takes the configured rate; this one is a fixed token dropout of the design.
        return F.dropout(self.block(x), 0.1, self.training)


def build(depth, dropout):
    def block(x, mode):
        return F.dropout(x, p=dropout, training=mode)

    return block


@dataclass
class Config:
    dropout: float = 0.1
    attention_dropout: float = 0.0
    layerdrop: float = 0.0
    adaptor_layerdrop: float = 0.0


class Adaptor(nn.Module):
    def __init__(self, dim, layerdrop=0.0, dropout=0.0):
        super().__init__()
        self.layerdrop = layerdrop
        self.drop = nn.Dropout(dropout)


class Encoder(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        # A more specific key into a general parameter, and a specific key into the one rate of a module.
        self.adaptor = Adaptor(8, layerdrop=config.adaptor_layerdrop, dropout=config.attention_dropout)
        self.other = Adaptor(8, layerdrop=config.layerdrop, dropout=config.dropout)
        self.attn = nn.MultiheadAttention(8, 2, dropout=config.attention_dropout)


class Unrelated(nn.Module):
    """`cfg.attention_dropout` appears nowhere: `attention_dropout=cfg.dropout` is all there is."""

    def __init__(self, cfg):
        super().__init__()
        self.attn = Adaptor(8, dropout=cfg.dropout)
        self.layer = nn.TransformerDecoderLayer(8, 2, dropout=cfg.dropout)


class Plain(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)


class Branches(nn.Module):
    def __init__(self, dim, depth, attn_dropout=0.0, fast=False):
        super().__init__()
        if not fast:
            attn = Adaptor(dim, dropout=attn_dropout)
        else:
            # The fast path's class is known and takes no rate.
            attn = Plain(dim)
        if depth > 1:
            norm = Adaptor(dim, dropout=attn_dropout)
        else:
            norm = nn.Identity()
        self.attn = attn
        self.norm = norm


class Forwarding(nn.Module):
    def __init__(self, dim, **kwargs):
        super().__init__()
        self.inner = Adaptor(dim, **kwargs)


class Popping(nn.Module):
    def __init__(self, dim, **kwargs):
        super().__init__()
        self.drop = nn.Dropout(kwargs.pop("dropout", 0.0))


class Parent(nn.Module):
    def __init__(self, dim, dropout=0.1):
        super().__init__()
        self.a = Forwarding(dim, dropout=dropout)
        self.b = Popping(dim, dropout=dropout)
        self.c = Adaptor(dim, dropout=dropout)


class Introspected(nn.Module):
    def __init__(self, dim, dropout=0.1):
        super().__init__()
        self.args = inspect.signature(type(self).__init__).bind(self, dim, dropout=0.1)
