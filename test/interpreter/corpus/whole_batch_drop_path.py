# entry: DropPathBatch
# expect: granularity=batch drop=0.1 train=1 eval=1
import torch
import torch.nn as nn


class DropPathBatch(nn.Module):
    def __init__(self, drop_prob=0.1):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x):
        if not self.training:
            return x
        keep_prob = 1 - self.drop_prob
        random_tensor = x.new_empty(1).bernoulli_(keep_prob)
        return x * random_tensor / keep_prob
