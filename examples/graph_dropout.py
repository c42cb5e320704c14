"""Node dropout for graphs in the manner of PyTorch Geometric's `dropout_node` (before its fix in PR #5513)."""
import torch
from torch import Tensor


def dropout_node(edge_index: Tensor, num_nodes: int, p: float = 0.5, training: bool = True):
    if not training or p == 0.0:
        # Bug: an all-False keep mask says every node was dropped, while the graph comes back whole.
        node_mask = edge_index.new_zeros(num_nodes, dtype=torch.bool)
        return edge_index, node_mask

    node_mask = torch.rand(num_nodes, device=edge_index.device) > p
    keep = node_mask[edge_index[0]] & node_mask[edge_index[1]]
    return edge_index[:, keep], node_mask
