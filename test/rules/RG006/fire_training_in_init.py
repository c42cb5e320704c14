import torch.nn as nn
from megatron_like.fusions import choose_bias_dropout_add
from megatron_like.module import BaseModule


class TransformerLayer(BaseModule):
    """The fused bias-dropout-add is picked once, when the layer is built: `training` is True then."""

    def __init__(self, config):
        super().__init__()
        self.mlp = nn.Linear(config.hidden, config.hidden)
        self.bias_dropout_add = choose_bias_dropout_add(self.training, config.fused)  # expect: RG006

    def forward(self, x, residual):
        return self.bias_dropout_add(self.mlp(x), residual, 0.1)


class Head(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.drop = nn.Dropout(p) if self.training else nn.Identity()  # expect: RG006

    def forward(self, x):
        return self.drop(x)
