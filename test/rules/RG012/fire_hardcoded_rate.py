# A literal rate in a functional dropout where the module or function is configured with one (NeMo's Tacotron 2
# prenet and postnet, pytorch/examples' wide ResNet).
import torch
import torch.nn as nn
import torch.nn.functional as F


class Prenet(nn.Module):
    def __init__(self, in_dim, sizes, p_dropout=0.5):
        super(Prenet, self).__init__()
        in_sizes = [in_dim] + sizes[:-1]
        self.p_dropout = p_dropout
        self.layers = nn.ModuleList([nn.Linear(i, o, bias=False) for (i, o) in zip(in_sizes, sizes)])

    def forward(self, x):
        for linear in self.layers:
            x = F.dropout(F.relu(linear(x)), p=0.0, training=True)  # expect: RG012
        return x


class Postnet(nn.Module):
    def __init__(self, channels, n_convolutions=5, p_dropout=0.5):
        super().__init__()
        self.convolutions = nn.ModuleList([nn.Conv1d(channels, channels, 5, padding=2) for _ in range(n_convolutions)])
        self.p_dropout = p_dropout

    def forward(self, x):
        for i in range(len(self.convolutions) - 1):
            x = F.dropout(torch.tanh(self.convolutions[i](x)), 0.5, self.training)  # expect: RG012
        x = F.dropout(self.convolutions[-1](x), self.p_dropout, self.training)
        return x


class Unstored(nn.Module):
    """The rate is read nowhere but here: no attribute holds it for `forward`, so there is no fix."""

    def __init__(self, dim, dropout=0.1):  # expect: RG012
        super().__init__()
        self.fc = nn.Linear(dim, dim)

    def forward(self, x):
        return F.dropout(self.fc(x), 0.1, self.training)  # expect: RG012


def resnet(depth, width, num_classes, dropout):
    def block(x, params, base, mode, stride):
        y = F.conv2d(x, params[base + ".conv0"], stride=stride, padding=1)
        o2 = F.relu(y)
        o2 = F.dropout(o2, p=0.5, training=mode)  # expect: RG012
        return x + F.conv2d(o2, params[base + ".conv1"], stride=1, padding=1)

    return block
