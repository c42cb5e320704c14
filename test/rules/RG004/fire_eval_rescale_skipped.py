import torch
from torchvision.models.resnet import BasicBlock


def _drop_samples(x, drop_rate, training):
    """Stochastic depth in the paper's form: no rescale in training, multiply by the keep rate in evaluation."""
    keep = 1 - drop_rate
    if not training:
        return x * keep
    mask = torch.rand([x.shape[0]] + [1] * (x.dim() - 1), device=x.device) < keep
    return x * mask


class StochasticBlock(BasicBlock):
    def __init__(self, drop_rate, **kwargs):
        super().__init__(**kwargs)
        self.drop_rate = drop_rate

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        # Called in training only, so the evaluation branch above never scales the output.
        if self.training and self.drop_rate > 0:
            out = _drop_samples(out, self.drop_rate, self.training)  # expect: RG004
        return self.relu(out + x)
