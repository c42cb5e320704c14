# entry: recursive_dropout
# expect: limit=recursion limit line=7
import torch


def keep_probability(p, depth):
    return keep_probability(p, depth + 1)


def recursive_dropout(x, p=0.1, training=True):
    keep = keep_probability(p, 0)
    mask = torch.rand_like(x) < keep
    return x * mask / keep
