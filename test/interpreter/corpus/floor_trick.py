# entry: drop_path
# expect: granularity=sample drop=0.25 train=1 eval=1
import torch


def drop_path(x, drop_prob: float = 0.25, training: bool = False):
    """The original timm / DeiT floor trick: keep_prob + U[0, 1), floored, is 1 with probability keep_prob."""
    if drop_prob == 0. or not training:
        return x
    keep_prob = 1 - drop_prob
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    random_tensor = keep_prob + torch.rand(shape, dtype=x.dtype, device=x.device)
    random_tensor.floor_()  # binarize
    output = x.div(keep_prob) * random_tensor
    return output
