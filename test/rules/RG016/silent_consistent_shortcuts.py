# Shortcuts that return the mask the draw gives at their rate, as real code writes them: PyTorch Geometric's
# `dropout_node` after its fix and its `dropout_edge`, and lucidrains' `prob_mask_like` (imagen-pytorch); then masks
# the rule cannot follow.
from typing import Optional, Tuple

import torch
from torch import Tensor

from torch_geometric.utils import subgraph
from torch_geometric.utils.num_nodes import maybe_num_nodes


def dropout_node(edge_index: Tensor, p: float = 0.5,
                 num_nodes: Optional[int] = None,
                 training: bool = True) -> Tuple[Tensor, Tensor, Tensor]:
    num_nodes = maybe_num_nodes(edge_index, num_nodes)

    if not training or p == 0.0:
        node_mask = edge_index.new_ones(num_nodes, dtype=torch.bool)
        edge_mask = edge_index.new_ones(edge_index.size(1), dtype=torch.bool)
        return edge_index, edge_mask, node_mask

    prob = torch.rand(num_nodes, device=edge_index.device)
    node_mask = prob > p
    edge_index, _, edge_mask = subgraph(node_mask, edge_index,
                                        num_nodes=num_nodes,
                                        return_edge_mask=True)
    return edge_index, edge_mask, node_mask


def dropout_edge(edge_index: Tensor, p: float = 0.5,
                 training: bool = True) -> Tuple[Tensor, Tensor]:
    if not training or p == 0.0:
        edge_mask = edge_index.new_ones(edge_index.size(1), dtype=torch.bool)
        return edge_index, edge_mask

    row, col = edge_index
    edge_mask = torch.rand(row.size(0), device=edge_index.device) >= p
    edge_index = edge_index[:, edge_mask]
    return edge_index, edge_mask


def prob_mask_like(shape, prob, device):
    if prob == 1:
        return torch.ones(shape, device = device, dtype = torch.bool)
    elif prob == 0:
        return torch.zeros(shape, device = device, dtype = torch.bool)
    else:
        return torch.zeros(shape, device = device).float().uniform_(0, 1) < prob


def drop_tokens(x, p, training=True):
    # A mask from another function, and a normal draw: neither is followed.
    if not training:
        return x, torch.zeros(x.shape[:2], dtype=torch.bool)
    keep = sample_keep_mask(x, p)
    noisy = torch.randn(x.shape[:2]) > p
    return x * keep.unsqueeze(-1), noisy


def sample_keep_mask(x, p):
    return torch.rand(x.shape[:2]) > p
