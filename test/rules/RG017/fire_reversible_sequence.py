# reformer-pytorch's ReversibleSequence before 39653be: layer drop sampled `blocks`, and short sequences took the
# non-reversible path, an nn.Sequential of every block built in __init__.
import torch
from torch import nn


class ReversibleSequence(nn.Module):
    def __init__(self, blocks, layer_dropout = 0., reverse_thres = 0):
        super().__init__()
        self.layer_dropout = layer_dropout
        self.reverse_thres = reverse_thres

        self.blocks = nn.ModuleList([ReversibleBlock(f=f, g=g) for f, g in blocks])
        self.irreversible_fn = nn.Sequential(*[IrreversibleBlock(f=f, g=g) for f, g in blocks])

    def forward(self, x):
        t = x.shape[1]
        blocks = self.blocks

        if self.training and self.layer_dropout > 0:
            to_drop = torch.empty(len(self.blocks)).uniform_(0, 1) < self.layer_dropout
            blocks = [block for block, drop in zip(self.blocks, to_drop) if not drop]
            blocks = self.blocks[:1] if len(blocks) == 0 else blocks

        if t <= self.reverse_thres:
            return self.irreversible_fn(x)  # expect: RG017

        return _ReversibleFunction.apply(x, blocks)


class SequentialSequence(nn.Module):
    # The same sampling, and a loop over every layer instead of the sample.
    def __init__(self, layers, layer_dropout = 0.):
        super().__init__()
        self.layers = layers
        self.layer_dropout = layer_dropout

    def forward(self, x):
        layers = self.layers
        if self.training and self.layer_dropout > 0:
            to_drop = torch.empty(len(self.layers)).uniform_(0, 1) < self.layer_dropout
            layers = [layer for layer, drop in zip(self.layers, to_drop) if not drop]  # expect: RG017

        for (f, g) in self.layers:
            x = x + f(x)
            x = x + g(x)
        return x


class Encoder(nn.Module):
    # A fast path for inference that forgets it can be taken in training too.
    def __init__(self, layers, layerdrop=0.1):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.fused = nn.Sequential(*layers)
        self.layerdrop = layerdrop

    def forward(self, x, fast=False):
        layers = self.layers
        if self.training:
            layers = [layer for layer in self.layers if torch.rand(()) >= self.layerdrop]
        if not fast:
            for layer in layers:
                x = layer(x)
            return x
        return self.fused(x)  # expect: RG017
