# Scripts that switch modes where they should: before evaluating (here or at every call), and back to training
# inside the epoch loop; a model without dropout; no_grad used for something other than evaluation.
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.dropout = nn.Dropout(0.2)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(self.dropout(F.relu(self.fc1(x))))


class Linear(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        return self.fc(x)


def train(model, loader, optimizer):
    model.train()
    for data, target in loader:
        optimizer.zero_grad()
        F.cross_entropy(model(data), target).backward()
        optimizer.step()


def test(model, loader):
    model.eval()
    with torch.no_grad():
        return [model(x) for x, _ in loader]


def evaluate(model, loader):
    with torch.no_grad():
        return [model(x) for x, _ in loader]


def ema_update(model, ema, decay):
    with torch.no_grad():
        for p, q in zip(model.parameters(), ema.parameters()):
            q.mul_(decay).add_(p, alpha=1 - decay)


def fit(model, loader, optimizer):
    for data, target in loader:
        optimizer.zero_grad()
        F.cross_entropy(model(data), target).backward()
        optimizer.step()


def main(loader, optimizer, epochs):
    model = Net()
    linear = Linear()
    for _ in range(epochs):
        train(model, loader, optimizer)
        test(model, loader)
    model.eval()
    evaluate(model, loader)
    with torch.no_grad():
        linear(torch.zeros(1, 784))
    for _ in range(epochs):
        model.train()
        fit(model, loader, optimizer)
        model.eval()
        evaluate(model, loader)


if __name__ == "__main__":
    model = Net()
    data = torch.zeros(1, 784)
    for epoch in range(3):
        model.train()
        F.cross_entropy(model(data), torch.zeros(1, dtype=torch.long)).backward()
        model.eval()
        with torch.no_grad():
            print(model(data))
    with torch.no_grad():
        print(model(data))


@torch.no_grad()
def mc_dropout_predict(model, data, samples=20):
    # Monte Carlo dropout: training mode on purpose, switched on right before the evaluation.
    model.train()
    return torch.stack([model(data) for _ in range(samples)]).mean(0)


def uncertainty(data):
    model = Net()
    return mc_dropout_predict(model, data)
