# Drop path and dropout modules written by hand, as Megatron-LM and timm write them, with their training check left
# out: each still draws its mask after `model.eval()`.
import torch
import torch.nn as nn


class DropPath(nn.Module):
    """Drop paths (Stochastic Depth) per sample
    (when applied in main path of residual blocks).
    """

    def __init__(self, drop_prob=0.1):
        super(DropPath, self).__init__()
        self.drop_prob = drop_prob

    def forward(self, hidden_state):
        keep_prob = 1 - self.drop_prob
        # work with diff dim tensors, not just 2D ConvNets
        # hidden_state: [s, b, h]
        shape = (1,) + (hidden_state.shape[1],) + (1,) * (hidden_state.ndim - 2)
        random_tensor = keep_prob + \
            torch.rand(shape, dtype=hidden_state.dtype, device=hidden_state.device)  # expect: RG006
        random_tensor.floor_()  # binarize
        output = hidden_state.div(keep_prob) * random_tensor
        return output


class StochasticDepth(nn.Module):
    def __init__(self, drop_prob=0.1):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x):
        """Drops whole samples with probability `drop_prob`."""
        keep_prob = 1 - self.drop_prob
        shape = (x.shape[0],) + (1,) * (x.ndim - 1)
        random_tensor = x.new_empty(shape).bernoulli_(keep_prob)  # expect: RG006
        if keep_prob > 0.0:
            random_tensor.div_(keep_prob)
        return x * random_tensor


class InvertedDropout(nn.Module):
    """A textbook dropout whose evaluation branch still masks."""

    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        keep = 1 - self.p
        mask = (torch.rand_like(x) < keep).float()  # expect: RG006
        if self.training:
            return x * mask / keep
        return x * mask
