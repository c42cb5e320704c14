# A ConvNeXt-style script that keeps its drop path beside the model (timm's code, copied): the model drops only
# through that class, and evaluating it under `torch.no_grad()` without `model.eval()` still drops whole samples.
import torch
import torch.nn as nn
import torch.nn.functional as F


def drop_path(x, drop_prob: float = 0.0, training: bool = False):
    if drop_prob == 0.0 or not training:
        return x
    keep_prob = 1 - drop_prob
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    random_tensor = x.new_empty(shape).bernoulli_(keep_prob)
    return x * random_tensor / keep_prob


class DropPath(nn.Module):
    def __init__(self, drop_prob=None):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x):
        return drop_path(x, self.drop_prob, self.training)


class Block(nn.Module):
    def __init__(self, dim, drop_path=0.1):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim)
        self.pwconv = nn.Linear(dim, dim)
        self.drop_path = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()

    def forward(self, x):
        shortcut = x
        x = self.dwconv(x).permute(0, 2, 3, 1)
        x = self.pwconv(F.gelu(x)).permute(0, 3, 1, 2)
        return shortcut + self.drop_path(x)


class Net(nn.Module):
    def __init__(self, dim=32, num_classes=10):
        super().__init__()
        self.stem = nn.Conv2d(3, dim, kernel_size=4, stride=4)
        self.block = Block(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        return self.head(self.block(self.stem(x)).mean([-2, -1]))


def evaluate(model, loader):
    correct = 0
    with torch.no_grad():
        for images, target in loader:
            output = model(images)  # expect: RG015
            correct += output.argmax(1).eq(target).sum().item()
    return correct


def main(loader):
    model = Net()
    return evaluate(model, loader)
