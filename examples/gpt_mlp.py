"""A GPT feed-forward and head with functional dropout."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class MLP(nn.Module):
    def __init__(self, n_embd: int, dropout: float = 0.1):
        super().__init__()
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.c_proj = nn.Linear(4 * n_embd, n_embd)
        self.dropout = dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.gelu(self.c_fc(x))
        x = self.c_proj(x)
        # Bug: training defaults to True, so this drops at evaluation time too.
        return F.dropout(x, self.dropout)


class Head(nn.Module):
    def __init__(self, n_embd: int, vocab_size: int, dropout: float = 0.1):
        super().__init__()
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        self.dropout = dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.ln_f(x)
        # Bug: the result is thrown away, so nothing is dropped.
        F.dropout(x, self.dropout, training=self.training)
        return self.lm_head(x)
