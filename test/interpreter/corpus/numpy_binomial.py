# entry: drop_block
# expect: unsupported=np.random.binomial line=10
import numpy as np
import torch


def drop_block(x, drop_prob=0.1, training=True):
    if not training:
        return x
    gate = np.random.binomial(1, 1 - drop_prob)
    return x * gate / (1 - drop_prob)
