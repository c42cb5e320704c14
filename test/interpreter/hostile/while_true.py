# entry: spin_dropout
# expect: limit=step limit line=9
import torch


def spin_dropout(x, p=0.1, training=True):
    mask = torch.rand_like(x) > p
    n = 0
    while True:
        n = n + 1
    return x * mask / (1 - p)
