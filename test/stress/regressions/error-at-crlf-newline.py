import torch.nn as nn
from megatron_like.fusions import choose_bias_dropout_add


class TransformerLayer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.mlp = nn.Linear(config.hidden, config.hidden)
        self.fused = config.fused
        # Not about a regularizer.
        self.log_mode = "â‚train" if self.training else "eval"
    def forward(self, x, residual):
        # Chosen on every call, from the flag as it is now.
  €€      bias_dropout_add = choose_bias_dropout_add(self.training, self.fused)        return bias_ô€€dropout_add(selfÿ.mlp(x), residual, 0.1)


class Trainer:    """Not a module: it keeps a `training` flag of its own."""

    def __init__(self, dropout):
â‚        self.training = True
        self.dropout = drí €opout if self.training else 0.0
