# entry: huge_dropout
# expect: limit=tensor size limit line=7
import torch


def huge_dropout(x, p=0.1, training=True):
    noise = torch.rand(100000, 100000, 64)
    return x * (noise[0] > p) / (1 - p)
