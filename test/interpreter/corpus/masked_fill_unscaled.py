# entry: dropout_masked_fill
# expect: granularity=element drop=0.4 train=0.6 eval=1
import torch


def dropout_masked_fill(x, p=0.4, training=False):
    if not training:
        return x
    drop = torch.rand_like(x) < p
    return x.masked_fill(drop, 0.0)
