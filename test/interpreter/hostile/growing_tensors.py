# entry: leaky_dropout
# expect: limit=memory limit line=9
import torch


def leaky_dropout(x, p=0.1, training=True):
    y = x
    for i in range(5000):
        y = y * 1.0 + torch.rand_like(x) * 0.0
    mask = torch.rand_like(x) > p
    return y * mask / (1 - p)
