# Models whose only regularizers are classes of the file: one that drops in evaluation too, by design (Monte Carlo
# dropout, which `model.eval()` would not stop), and one that is switched to evaluation before it is evaluated.
import torch
import torch.nn as nn


class MCDropout(nn.Module):
    """Monte Carlo dropout: drops at inference too, for uncertainty estimates."""

    def __init__(self, p=0.1):
        super().__init__()
        self.p = p

    def forward(self, x):
        mask = (torch.rand_like(x) > self.p).float()
        return x * mask / (1 - self.p)


class StochasticDepth(nn.Module):
    def __init__(self, p=0.1):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = 1 - self.p
        return x * x.new_empty((x.shape[0], 1)).bernoulli_(keep) / keep


class Bayesian(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 10)
        self.mc = MCDropout(0.2)

    def forward(self, x):
        return self.mc(self.fc(x))


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 10)
        self.sd = StochasticDepth(0.2)

    def forward(self, x):
        return x + self.sd(self.fc(x))


def predict_with_uncertainty(model, x, samples=20):
    with torch.no_grad():
        return torch.stack([model(x) for _ in range(samples)]).std(0)


def evaluate(model, loader):
    model.eval()
    with torch.no_grad():
        return sum(model(x).argmax(1).eq(y).sum().item() for x, y in loader)


def main(x, loader):
    bayesian = Bayesian()
    predict_with_uncertainty(bayesian, x)
    residual = Residual()
    evaluate(residual, loader)
