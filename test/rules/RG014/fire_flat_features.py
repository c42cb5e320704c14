# Channel dropout on flattened features, as pytorch/examples' MNIST nets had it (and its RPC parameter server
# still does, behind `.to(device)`).
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout2d(0.25)
        self.dropout2 = nn.Dropout2d(0.5)  # expect: RG014
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


class ParameterServerNet(nn.Module):
    def __init__(self, device):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1).to(device)
        self.dropout1 = nn.Dropout2d(0.25).to(device)
        self.dropout2 = nn.Dropout2d(0.5).to(device)  # expect: RG014
        self.fc1 = nn.Linear(9216, 128).to(device)
        self.fc2 = nn.Linear(128, 10).to(device)

    def forward(self, x):
        x = F.max_pool2d(self.conv1(x), 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        next_device = next(self.fc1.parameters()).device
        x = x.to(next_device)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        return self.fc2(x)


class Hogwild(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)
        self.rows = nn.Dropout1d(0.2)  # expect: RG014

    def forward(self, x):
        x = self.conv2(x)
        x = x.view(-1, 320)
        x = F.dropout2d(F.relu(self.fc1(x)), 0.5, self.training)  # expect: RG014
        x = self.rows(x)
        return self.fc2(x)
