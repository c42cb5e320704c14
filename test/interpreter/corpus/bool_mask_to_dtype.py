# entry: drop_path
# expect: granularity=sample drop=0.3 train=1 eval=1
import torch


def drop_path(x, p: float = 0.3, training: bool = True):
    if p == 0.0 or not training:
        return x
    keep = 1.0 - p
    mask = (torch.rand(x.shape[0], 1, 1, device=x.device) < keep).to(x.dtype)
    return x * mask / keep
