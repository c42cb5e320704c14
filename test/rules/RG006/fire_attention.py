import torch.nn as nn
import torch.nn.functional as F


class SelfAttention(nn.Module):
    def __init__(self, dim, heads, dropout=0.1):
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.heads = heads
        self.dropout = dropout

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout, is_causal=True)  # expect: RG006
        y = F.scaled_dot_product_attention(q, k, v, None, 0.1)  # expect: RG006
        return y


class Gated(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, q, k, v):
        a = F.scaled_dot_product_attention(q, k, v, dropout_p=self.p if self.training else 0.0)
        p = self.p if self.training else 0.0
        b = F.scaled_dot_product_attention(q, k, v, dropout_p=p)
        c = F.scaled_dot_product_attention(q, k, v, dropout_p=0.0)
        d = F.scaled_dot_product_attention(q, k, v)
        if self.training:
            d = F.scaled_dot_product_attention(q, k, v, dropout_p=self.p)
        return a + b + c + d
