# allennlp's T5 feed-forward layer (allennlp/modules/transformer/t5.py), shortened: the layer takes `dropout` for its
# own residual dropout, and builds its default projection without it, which then drops at its own default 0.1.
from typing import Optional

import torch.nn as nn
import torch.nn.functional as F


class T5DenseReluDense(nn.Module):
    def __init__(self, hidden_size: int = 512, ff_size: int = 2048, dropout: float = 0.1):
        super().__init__()
        self.wi = nn.Linear(hidden_size, ff_size, bias=False)
        self.wo = nn.Linear(ff_size, hidden_size, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, hidden_states):
        hidden_states = self.wi(hidden_states)
        hidden_states = F.relu(hidden_states)
        hidden_states = self.dropout(hidden_states)
        return self.wo(hidden_states)


class T5LayerFF(nn.Module):
    def __init__(
        self,
        ff_proj: Optional[T5DenseReluDense] = None,
        layer_norm: Optional[nn.LayerNorm] = None,
        dropout: float = 0.1,
    ):
        super().__init__()
        self.ff_proj = ff_proj or T5DenseReluDense()  # expect: RG012
        self.layer_norm = layer_norm or nn.LayerNorm(512)
        self.dropout = nn.Dropout(dropout)

    def forward(self, hidden_states):
        forwarded_states = self.layer_norm(hidden_states)
        forwarded_states = self.ff_proj(forwarded_states)
        return hidden_states + self.dropout(forwarded_states)


class T5Block(nn.Module):
    def __init__(self, d_model=512, d_ff=2048, dropout=0.1):
        super().__init__()
        self.ff = T5LayerFF(
            T5DenseReluDense(  # expect: RG012
                d_model,
                d_ff,
            ),
            dropout=dropout,
        )

    def forward(self, x):
        return self.ff(x)
