# Layer drop that every path runs: reformer-pytorch's ReversibleSequence after 39653be, a sample run inside its guard,
# HF-style layer drop in the loop, and early returns that run no layer.
import random

import torch
from torch import nn


class ReversibleSequence(nn.Module):
    def __init__(self, blocks, layer_dropout = 0., reverse_thres = 0):
        super().__init__()
        self.layer_dropout = layer_dropout
        self.reverse_thres = reverse_thres

        self.blocks = nn.ModuleList([ReversibleBlock(f=f, g=g) for f, g in blocks])
        self.irrev_blocks = nn.ModuleList([IrreversibleBlock(f=f, g=g) for f, g in blocks])

    def forward(self, x, arg_route = (True, False), **kwargs):
        reverse = x.shape[1] > self.reverse_thres
        blocks = self.blocks if reverse else self.irrev_blocks

        if self.training and self.layer_dropout > 0:
            to_drop = torch.empty(len(self.blocks)).uniform_(0, 1) < self.layer_dropout
            blocks = [block for block, drop in zip(self.blocks, to_drop) if not drop]
            blocks = self.blocks[:1] if len(blocks) == 0 else blocks

        if not reverse:
            return nn.Sequential(*blocks)(x)

        return _ReversibleFunction.apply(x, blocks, kwargs)


class RunInGuard(nn.Module):
    def __init__(self, layers, p=0.1):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.p = p

    def forward(self, x, mask=None):
        if x is None:
            return None
        if self.training:
            kept = [layer for layer in self.layers if random.random() > self.p]
            for layer in kept:
                x = layer(x)
        else:
            for layer in self.layers:
                x = layer(x)
        return x


class LoopLayerDrop(nn.Module):
    def __init__(self, layers, layerdrop=0.1):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.layerdrop = layerdrop

    def forward(self, x):
        for layer in self.layers:
            if self.training and random.uniform(0, 1) < self.layerdrop:
                continue
            x = layer(x)
        return x


class Checked(nn.Module):
    def __init__(self, layers, p=0.1):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.p = p

    def forward(self, x):
        layers = self.layers
        if self.training:
            layers = [layer for layer in self.layers if torch.rand(()) > self.p]
        if len(layers) == 0:
            raise ValueError("every layer was dropped")
        if x.numel() == 0:
            return x.new_zeros(())
        for layer in layers:
            x = layer(x)
        return x
