import torch.nn as nn
from flash_attn import flash_attn_func
from mylib.attention import pick_attention_kernel


class Attention(nn.Module):
    def __init__(self, dim, dropout=0.1):
        super().__init__()
        self.dropout = dropout
        self._attention_fn = pick_attention_kernel()

    def forward(self, q, k, v):
        # The rate is switched off outside training, by either spelling.
        a = self._attention_fn(q, k, v, dropout_p=self.dropout if self.training else 0.0)
        p = self.dropout if self.training else 0.0
        b = flash_attn_func(q, k, v, p)
        return a + b


class Block(nn.Module):
    def __init__(self, dim, dropout=0.1):
        super().__init__()
        # A submodule has a training flag of its own: what it does with dropout_p is read in its class.
        self.attn = MultiheadCore(dim)
        self.dropout = dropout

    def forward(self, x):
        return self.attn(x, x, x, dropout_p=self.dropout) + self._attention(x)

    def _attention(self, x):
        # A method of this class: the kernel call inside it is where a finding would go.
        return x


class MultiheadCore(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, q, k, v, dropout_p=0.0):
        return flash_attn_func(q, k, v, dropout_p if self.training else 0.0)


class Kernel(nn.Module):
    def __init__(self, dropout=0.1):
        super().__init__()
        self.dropout = dropout

    def forward(self, q, k, v):
        # The helper is handed the flag and decides itself.
        return attention_kernel(q, k, v, dropout_p=self.dropout, training=self.training)


def attention_kernel(q, k, v, dropout_p=0.0, training=False):
    return flash_attn_func(q, k, v, dropout_p if training else 0.0)
