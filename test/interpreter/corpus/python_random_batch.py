# entry: stochastic_depth
# expect: granularity=batch drop=0.2 train=1 eval=1
import random

import torch


def stochastic_depth(x, p=0.2, training=True):
    """Whole-batch stochastic depth: one coin for the whole batch, deliberately."""
    if not training:
        return x
    survive = float(random.random() > p)
    return x * survive / (1 - p)
