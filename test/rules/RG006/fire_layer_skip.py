import random

import numpy as np
import torch
import torch.nn as nn


class LayerDropEncoder(nn.Module):
    def __init__(self, layers, layerdrop=0.1):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.layerdrop = layerdrop

    def forward(self, x):
        for layer in self.layers:
            if random.random() < self.layerdrop:  # expect: RG006
                continue
            x = layer(x)
        for layer in self.layers:
            if torch.rand(1).item() > self.layerdrop:  # expect: RG006
                x = layer(x)
        for layer in self.layers:
            x = layer(x) if np.random.rand() > self.layerdrop else x  # expect: RG006
        return x


class GatedLayerDrop(nn.Module):
    def __init__(self, layers, layerdrop=0.1):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.layerdrop = layerdrop

    def forward(self, x):
        for layer in self.layers:
            if self.training and random.random() < self.layerdrop:
                continue
            x = layer(x)
        for layer in self.layers:
            skip = random.random() < self.layerdrop
            if self.training and skip:
                continue
            x = layer(x)
        return x


class NotInALoop(nn.Module):
    def forward(self, x):
        # A random augmentation choice is not layer skipping.
        if random.random() < 0.5:
            x = x.flip(-1)
        return x


class RandAugment(nn.Module):
    def __init__(self, ops):
        super().__init__()
        self.ops = ops

    def forward(self, img):
        # Random augmentation choices in a loop are not layer skipping.
        for _ in range(len(self.ops)):
            index = int(torch.randint(len(self.ops), (1,)).item())
            magnitude = 1.0
            if torch.randint(2, (1,)):
                magnitude *= -1.0
            img = img * magnitude + index
        return img


class IndexedLayerDrop(nn.Module):
    def __init__(self, layers, p):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.p = p

    def forward(self, x):
        for i in range(len(self.layers)):
            if random.uniform(0, 1) < self.p:  # expect: RG006
                continue
            x = self.layers[i](x)
        return x
