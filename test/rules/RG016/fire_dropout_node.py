# PyTorch Geometric's `dropout_node` before its fix (torch_geometric/utils/dropout.py, PR #5513): in evaluation and at
# p == 0 the node and edge masks were all False, "every node dropped", while the graph came back whole.
from typing import Optional, Tuple

import torch
from torch import Tensor

from torch_geometric.utils import subgraph
from torch_geometric.utils.num_nodes import maybe_num_nodes


def dropout_node(edge_index: Tensor, p: float = 0.5,
                 num_nodes: Optional[int] = None,
                 training: bool = True) -> Tuple[Tensor, Tensor, Tensor]:
    if p < 0. or p > 1.:
        raise ValueError(f'Dropout probability has to be between 0 and 1 '
                         f'(got {p}')

    num_nodes = maybe_num_nodes(edge_index, num_nodes)

    if not training or p == 0.0:
        node_mask = edge_index.new_zeros(num_nodes, dtype=torch.bool)  # expect: RG016
        edge_mask = edge_index.new_zeros(edge_index.size(1), dtype=torch.bool)
        return edge_index, edge_mask, node_mask

    prob = torch.rand(num_nodes, device=edge_index.device)
    node_mask = prob > p
    edge_index, _, edge_mask = subgraph(node_mask, edge_index,
                                        num_nodes=num_nodes,
                                        return_edge_mask=True)
    return edge_index, edge_mask, node_mask


class TokenDrop(torch.nn.Module):
    """A token dropout that returns which tokens it dropped, True for dropped."""

    def __init__(self, p=0.1):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x, torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)  # expect: RG016
        dropped = torch.rand(x.shape[:2], device=x.device) < self.p
        return x.masked_fill(dropped.unsqueeze(-1), 0.0), dropped
