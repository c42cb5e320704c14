# The shapes of silent_features.py where the dropped value is attention scores: a pooling layer whose assignment is
# a query-key product, and a graph attention that drops its scores, masked by the adjacency, before the softmax.
import torch
import torch.nn as nn
import torch.nn.functional as F


class AttentionPooling(nn.Module):
    def __init__(self, channels, clusters, dropout=0.1):
        super().__init__()
        self.queries = nn.Parameter(torch.randn(clusters, channels))
        self.key = nn.Linear(channels, channels)
        self.dropout = dropout

    def forward(self, x):
        s = torch.matmul(self.queries, self.key(x).transpose(-1, -2))
        s = F.dropout(s, self.dropout, training=self.training)  # expect: RG009
        s = torch.softmax(s, dim=-1)
        return s @ x


class DenseGraphAttention(nn.Module):
    def __init__(self, channels, dropout=0.2):
        super().__init__()
        self.q = nn.Linear(channels, channels)
        self.k = nn.Linear(channels, channels)
        self.dropout = dropout

    def forward(self, x, adj):
        score = self.q(x) @ self.k(x).transpose(-1, -2) / x.size(-1) ** 0.5
        score = score.masked_fill(adj == 0, float("-inf"))
        score = F.dropout(score, p=self.dropout, training=self.training)  # expect: RG009
        return score.softmax(dim=-1) @ x
