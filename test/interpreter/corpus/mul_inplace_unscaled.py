# entry: dropout
# expect: granularity=element drop=0.5 train=0.5 eval=1
import torch


def dropout(x, p=0.5, training=True):
    if not training or p == 0.0:
        return x
    mask = torch.empty_like(x).bernoulli_(1 - p)
    return x.mul_(mask)
