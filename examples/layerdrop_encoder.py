"""An encoder with LayerDrop and a TF-style keep probability."""
import random

import torch
import torch.nn as nn


class EncoderLayer(nn.Module):
    def __init__(self, d_model: int, keep_prob: float = 0.9):
        super().__init__()
        self.ff = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.ReLU(), nn.Linear(4 * d_model, d_model))
        self.norm = nn.LayerNorm(d_model)
        # Bug: ported from TensorFlow, where dropout took the keep probability.
        self.dropout = nn.Dropout(keep_prob)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x + self.dropout(self.ff(x)))


class Encoder(nn.Module):
    def __init__(self, d_model: int, depth: int, layerdrop: float = 0.1):
        super().__init__()
        self.layers = nn.ModuleList([EncoderLayer(d_model) for _ in range(depth)])
        self.layerdrop = layerdrop
        self.head_drop = nn.Dropout(1.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            # Bug: layers are skipped at random at evaluation time too.
            if random.random() < self.layerdrop:
                continue
            x = layer(x)
        return self.head_drop(x)
