# Dropout on the probabilities after softmax, or separated from the softmax by a mixing step.
import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    def __init__(self, dim, dropout=0.1):
        super().__init__()
        self.qkv = nn.Linear(dim, dim * 3)
        self.attn_drop = nn.Dropout(dropout)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        attn = (q @ k.transpose(-2, -1)).softmax(dim=-1)
        attn = self.attn_drop(attn)
        return self.proj(attn @ v)


class Router(nn.Module):
    def __init__(self, dim, experts, dropout=0.1):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.gate = nn.Linear(dim, experts)

    def forward(self, x):
        h = self.drop(x)
        return F.softmax(self.gate(h), dim=-1)
