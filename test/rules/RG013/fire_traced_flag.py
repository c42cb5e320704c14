# A GNN traced by PyTorch Geometric's to_hetero (torch.fx): `training=self.training` is baked in at trace time.
import torch
import torch.nn.functional as F
from torch import fx
from torch_geometric.nn import Linear, SAGEConv, to_hetero


class GNN(torch.nn.Module):
    def __init__(self, hidden_channels, out_channels, dropout):
        super().__init__()
        self.dropout = dropout
        self.conv1 = SAGEConv((-1, -1), hidden_channels)
        self.conv2 = SAGEConv((-1, -1), hidden_channels)
        self.lin = Linear(-1, out_channels)

    def forward(self, x, edge_index):
        x = self.conv1(x, edge_index).relu()
        x = F.dropout(x, p=self.dropout, training=self.training)  # expect: RG013
        x = self.conv2(x, edge_index).relu()
        x = F.dropout(x, self.dropout, self.training)  # expect: RG013
        return self.lin(x)


class Head(torch.nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, training=self.training)  # expect: RG013


class RelationalGNN(torch.nn.Module):
    def __init__(self, metadata, hidden_channels, out_channels, dropout):
        super().__init__()
        model = GNN(hidden_channels, out_channels, dropout)
        self.model = to_hetero(model, metadata, aggr='sum')
        self.head = Head(dropout)
        self.head = fx.symbolic_trace(self.head)

    def forward(self, x_dict, edge_index_dict):
        return self.head(self.model(x_dict, edge_index_dict))
