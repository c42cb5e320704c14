import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.layers import drop_path
from flash_attn import flash_attn_func
from torch_geometric.utils import dropout_edge


def functional_block(x, p, training):
    # A free function has no `self.training`; its caller decides.
    return F.dropout(x, p, training=training)


class NotAModule:
    def forward(self, x):
        return F.dropout(x, 0.1)


class Block(nn.Module):
    def __init__(self, dim, p=0.1):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.p = p
        self.drop = nn.Dropout(p)

    def forward(self, x, training=None):
        x = F.dropout(x, self.p, training=self.training)
        x = F.dropout(x, self.p, self.training)
        x = F.alpha_dropout(x, self.p)
        x = F.feature_alpha_dropout(x, self.p)
        x = drop_path(x, self.p)
        x = torch.dropout(x, self.p, self.training)
        x = F.dropout(x, self.p, training=self.training and self.p > 0)
        if self.training:
            x = F.dropout(x, self.p)
        elif self.p > 0:
            pass
        x = F.dropout(x, self.p) if self.training else x
        x = self.training and F.dropout(x, self.p)
        return self.drop(self.fc(x))

    def regularize(self, x):
        if not self.training:
            return x
        return F.dropout(x, self.p)

    @staticmethod
    def apply_dropout(x, p):
        return F.dropout(x, p)

    def forward_with_splat(self, x, **kwargs):
        return F.dropout(x, self.p, **kwargs)



class FlashSelfAttention(nn.Module):
    # The rate is switched off on the module in evaluation: RG013 reports that it stays off, not RG006.
    def __init__(self, attention_dropout=0.1):
        super().__init__()
        self.dropout_p = attention_dropout

    def forward(self, q, k, v):
        if not self.training:
            self.dropout_p = 0.0
        return flash_attn_func(q, k, v, self.dropout_p, causal=True)


class SelfTrainFlag(nn.Module):
    # The CIFAR convnet as its repository has it: `self.train = True` in `__init__` shadows the method (and breaks
    # `model.eval()`, which calls it): the flag is the class's own, not `nn.Module.train`.
    def __init__(self, n_classes):
        super(SelfTrainFlag, self).__init__()
        self.fc4 = nn.Linear(256 * 4 * 4, 1024)
        self.train = True

    def forward(self, h):
        return F.dropout(F.relu(self.fc4(h)), training=self.train)


class EdgeSampling(nn.Module):
    # PyTorch Geometric's SuperGATConv and graph_unet example pass the flag.
    def positive_sampling(self, edge_index):
        pos_edge_index, _ = dropout_edge(edge_index,
                                         p=1. - self.edge_sample_ratio,
                                         training=self.training)
        return pos_edge_index

    def forward(self, x, edge_index):
        edge_index, _ = dropout_edge(edge_index, p=0.2,
                                     force_undirected=True,
                                     training=self.training)
        return self.unet(x, self.positive_sampling(edge_index))
