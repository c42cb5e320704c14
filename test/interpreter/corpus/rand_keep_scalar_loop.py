# entry: LayerDrop
# expect: granularity=sample drop=0.2 train=1 eval=1
import torch
import torch.nn as nn


class LayerDrop(nn.Module):
    """Per-sample gate built in a loop over the batch (slow but legal)."""

    def __init__(self, p=0.2):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        gates = []
        for i in range(x.shape[0]):
            gates = gates + [1.0 if float(torch.rand(1)) >= self.p else 0.0]
        mask = torch.tensor(gates).view(-1, 1, 1)
        return x * mask / (1 - self.p)
