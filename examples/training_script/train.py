# The model, the training step and the evaluations live in three files, as most projects split them: RG015 reads
# them together through the workspace index.
import torch

from engine import test_accuracy, train_epoch, validate
from model import Net


def main(train_loader, val_loader, epochs=10):
    model = Net()
    optimizer = torch.optim.Adam(model.parameters())
    print(test_accuracy(model, val_loader))
    for epoch in range(epochs):
        train_epoch(model, train_loader, optimizer)
        print(epoch, validate(model, val_loader))
