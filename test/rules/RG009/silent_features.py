# Dropout on features whose softmax follows is not attention-logits dropout: a node classifier drops hidden features
# between its layers and ends in log_softmax, a pooling layer drops its cluster-assignment logits, an edge scorer
# drops its scores before squashing them. These are the model's features, dropped as such.
import torch
import torch.nn as nn
import torch.nn.functional as F


class NodeClassifier(nn.Module):
    def __init__(self, channels, classes):
        super().__init__()
        self.convs = nn.ModuleList([nn.Linear(channels, 128), nn.Linear(128, classes)])

    def forward(self, x, adj):
        for i, conv in enumerate(self.convs):
            x = adj @ conv(x)
            if i != len(self.convs) - 1:
                x = F.relu(x)
                x = F.dropout(x, p=0.5, training=self.training)
        return F.log_softmax(x, dim=-1)


class AssignmentPooling(nn.Module):
    def __init__(self, channels, clusters, dropout=0.1):
        super().__init__()
        self.mlp = nn.Linear(channels, clusters)
        self.dropout = dropout

    def forward(self, x, adj):
        s = self.mlp(x)
        s = F.dropout(s, self.dropout, training=self.training)
        s = torch.softmax(s, dim=-1)
        return s.transpose(1, 2) @ x, s.transpose(1, 2) @ adj @ s


class EdgeScorer(nn.Module):
    def __init__(self, channels, dropout=0.2):
        super().__init__()
        self.lin = nn.Linear(2 * channels, 1)
        self.dropout = dropout

    def forward(self, x, edge_index):
        edge_attr = torch.cat([x[edge_index[0]], x[edge_index[1]]], dim=-1)
        score = self.lin(edge_attr).view(-1)
        score = F.dropout(score, p=self.dropout, training=self.training)
        return score.softmax(dim=0)
