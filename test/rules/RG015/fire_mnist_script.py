# A pytorch/examples-style MNIST script: the evaluation never switches to eval mode, and an epoch loop that
# evaluates in eval mode but trains without switching back.
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.fc1 = nn.Linear(5408, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = self.dropout1(torch.flatten(x, 1))
        return F.log_softmax(self.fc1(x), dim=1)


def train(args, model, device, train_loader, optimizer, epoch):
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        loss = F.nll_loss(model(data), target)
        loss.backward()
        optimizer.step()


def test(model, device, test_loader):
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)  # expect: RG015
            test_loss += F.nll_loss(output, target, reduction='sum').item()
            correct += output.argmax(dim=1).eq(target).sum().item()
    return correct / len(test_loader.dataset)


def validate(model, loader):
    model.eval()
    with torch.no_grad():
        return sum(model(x).argmax(1).eq(y).sum().item() for x, y in loader)


@torch.no_grad()
def predict(net, batch):
    return net(batch).argmax(1)  # expect: RG015


def main(args, device, train_loader, test_loader):
    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)  # expect: RG015
        validate(model, test_loader)
    test(model, device, test_loader)
    net = Net()
    predict(net, next(iter(test_loader))[0])


if __name__ == "__main__":
    model = Net()
    loader = [(torch.zeros(1, 1, 28, 28), torch.zeros(1, dtype=torch.long))]
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(3):
        for data, target in loader:
            optimizer.zero_grad()
            F.nll_loss(model(data), target).backward()  # expect: RG015
            optimizer.step()
        model.eval()
    with torch.no_grad():
        net = Net()
        print(net(loader[0][0]))  # expect: RG015
