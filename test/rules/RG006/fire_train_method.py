# `training=self.train` passes the bound method `nn.Module.train`, which is always true, as public model code writes
# it: a multi-head GNN that drops edges with PyTorch Geometric's `dropout_adj` in every head, and a CIFAR convnet's
# classifier. PyG's graph dropouts default to `training=True`, as `F.dropout` does.
import torch
import torch.nn as nn
import torch.nn.functional as F
from typing import List, Dict, Union, Callable
from torch_geometric.utils import dropout_adj, dropout_edge


class MultiHeadGNN(nn.Module):

    def __init__(self, hidden_dim: int, output_dim: int, mlp_dim: int, dropout: int, heads: List[Dict[str, Union[Callable, Dict]]]):

        super(MultiHeadGNN, self).__init__()
        n_head = len(heads)
        head_output_dim = hidden_dim//n_head
        heads_list = []
        for layer in heads:
            heads_list.append(layer['layer'](
                hidden_dim, head_output_dim, **layer['params']))
        self.GNN_heads = nn.ModuleList(heads_list)
        self.post_GNN_heads = nn.Sequential(nn.BatchNorm1d(head_output_dim*n_head),
                                            nn.Linear(
                                                head_output_dim*n_head, mlp_dim),
                                            nn.Dropout(p=dropout),
                                            nn.GELU(),
                                            nn.Linear(mlp_dim, output_dim))

    def forward(self, x, adj_t):
        identity = x
        heads_output = []
        for head in self.GNN_heads:
            # edge dropout
            adj_t = dropout_adj(adj_t, p=0.2, training=self.train)[  # expect: RG006
                0]  # select edge_index
            heads_output.append(head(x, adj_t))
        x = torch.cat(heads_output, 1)
        x = self.post_GNN_heads(x)
        return x + identity


class ConvNet(nn.Module):
    def __init__(self, n_classes):
        super(ConvNet, self).__init__()
        self.fc4 = nn.Linear(256 * 4 * 4, 1024)
        self.fc5 = nn.Linear(1024, 1024)
        self.fc6 = nn.Linear(1024, n_classes)

    def forward(self, h):
        h = h.view(h.size(0), -1)

        h = F.dropout(F.relu(self.fc4(h)), training=self.train)  # expect: RG006
        h = F.dropout(F.relu(self.fc5(h)), training=self.train())  # expect: RG006
        return self.fc6(h)


class Net(torch.nn.Module):
    # PyG's graph_unet example without its training flag.
    def forward(self, x, edge_index):
        edge_index, _ = dropout_edge(edge_index, p=0.2,  # expect: RG006
                                     force_undirected=True)
        return self.unet(x, edge_index)
