# entry: drop_path
# expect: unsupported=list comprehension line=10
import torch


def drop_path(x, drop_prob=0.1, training=True):
    if not training:
        return x
    keep = 1 - drop_prob
    mask = torch.tensor([float(torch.rand(1) < keep) for _ in range(x.shape[0])])
    return x * mask.view(-1, 1, 1) / keep
