# Modes that keep following model.train() / model.eval(): a local rate, a rate restored in training, a dropout
# submodule inside a traced model, and functional dropout in a class that is never traced.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch_geometric.nn import SAGEConv, to_hetero


class FlashSelfAttention(nn.Module):
    def __init__(self, attention_dropout=0.0):
        super().__init__()
        self.dropout_p = attention_dropout
        self.train_p = attention_dropout
        self.causal = True

    def forward(self, q, k, v):
        if self.training:
            dropout_p = self.dropout_p
            self.dropout_p = self.train_p
        else:
            dropout_p = 0
            self.dropout_p = 0
            self.causal = False
        return F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p)


class Scheduled(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.drop = nn.Dropout(p)

    def set_rate(self, p):
        self.drop.p = p

    def forward(self, x, step):
        self.drop.p = min(0.1, step * 1e-4)
        return self.drop(x)


class GNN(torch.nn.Module):
    def __init__(self, hidden, dropout):
        super().__init__()
        self.conv = SAGEConv((-1, -1), hidden)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, edge_index):
        return self.dropout(self.conv(x, edge_index).relu())


class Plain(torch.nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, training=self.training)


class Model(torch.nn.Module):
    def __init__(self, metadata, hidden, dropout):
        super().__init__()
        self.encoder = to_hetero(GNN(hidden, dropout), metadata)
        self.plain = Plain(dropout)

    def forward(self, x, edge_index):
        return self.plain(self.encoder(x, edge_index))
