# Scripts bind their model with an annotation, or across a line continuation: the evaluation under no_grad still
# runs the dropout of a model never switched to eval mode.
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(self.drop(x))


if __name__ == "__main__":
    model: nn.Module = Net()
    other \
        = Net()
    with torch.no_grad():
        print(model(torch.zeros(1, 4)))  # expect: RG015
        print(other(torch.zeros(1, 4)))  # expect: RG015
