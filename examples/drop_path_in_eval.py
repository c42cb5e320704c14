"""Drop path written by hand, as Megatron-LM writes it, with its training check left out: after `model.eval()` it
still drops whole samples' residual branches, so evaluation is noisy and too low."""
import torch
import torch.nn as nn


class DropPath(nn.Module):
    def __init__(self, drop_prob: float = 0.1):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, hidden_state):
        keep_prob = 1 - self.drop_prob
        shape = (hidden_state.shape[0],) + (1,) * (hidden_state.ndim - 1)
        random_tensor = keep_prob + torch.rand(shape, dtype=hidden_state.dtype, device=hidden_state.device)
        random_tensor.floor_()
        return hidden_state.div(keep_prob) * random_tensor


class Block(nn.Module):
    def __init__(self, dim: int, drop_path_rate: float = 0.1):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.drop_path = DropPath(drop_path_rate)

    def forward(self, x):
        return x + self.drop_path(self.mlp(self.norm(x)))
