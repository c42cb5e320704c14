import torch
import torch.nn.functional as F


def train_epoch(model, loader, optimizer):
    for data, target in loader:
        optimizer.zero_grad()
        F.cross_entropy(model(data), target).backward()
        optimizer.step()


def validate(model, loader):
    model.eval()
    with torch.no_grad():
        return sum(F.cross_entropy(model(data), target).item() for data, target in loader)


@torch.no_grad()
def test_accuracy(model, loader):
    return sum((model(data).argmax(1) == target).sum().item() for data, target in loader)
