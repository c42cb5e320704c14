"""Layer drop over a stack of blocks, in the manner of reformer-pytorch's ReversibleSequence (before 39653be)."""
import torch
from torch import nn


class BlockStack(nn.Module):
    def __init__(self, blocks, layer_dropout: float = 0.1, reverse_thres: int = 1024):
        super().__init__()
        self.layer_dropout = layer_dropout
        self.reverse_thres = reverse_thres
        self.blocks = nn.ModuleList(blocks)
        self.sequential = nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        blocks = self.blocks
        if self.training and self.layer_dropout > 0:
            to_drop = torch.empty(len(self.blocks)).uniform_(0, 1) < self.layer_dropout
            blocks = [block for block, drop in zip(self.blocks, to_drop) if not drop]

        if x.shape[1] <= self.reverse_thres:
            # Bug: short sequences run every block, so layer drop never happens for them.
            return self.sequential(x)

        for block in blocks:
            x = block(x)
        return x
