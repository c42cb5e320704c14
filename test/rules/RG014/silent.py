# The same regularizers where they belong: guards that do skip the last layer, stacked recurrent layers, channel
# dropout on feature maps, and values the reading cannot follow.
import torch
import torch.nn as nn
import torch.nn.functional as F


class StackedLSTM(nn.Module):
    def __init__(self, num_layers, input_size, rnn_size, dropout):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.num_layers = num_layers
        self.layers = nn.ModuleList()
        for _ in range(num_layers):
            self.layers.append(nn.LSTMCell(input_size, rnn_size))
            input_size = rnn_size

    def forward(self, input, hidden):
        for i, layer in enumerate(self.layers):
            input, _ = layer(input, hidden[i])
            if i + 1 != self.num_layers:
                input = self.dropout(input)
            if i < len(self.layers) - 1:
                input = self.dropout(input)
            if i != self.num_layers - 1:
                input = self.dropout(input)
        for i in range(self.num_layers):
            if i != self.depth:
                input = self.dropout(input)
        return input


class Recurrent(nn.Module):
    def __init__(self, dim, nlayers, dropout):
        super().__init__()
        self.rnn = nn.LSTM(dim, dim, nlayers, dropout=dropout)
        self.gru = nn.GRU(dim, dim, num_layers=2, dropout=0.1)
        self.one = nn.GRU(dim, dim, num_layers=1, dropout=0.0)
        self.plain = nn.LSTM(dim, dim, dropout=dropout if nlayers > 1 else 0, num_layers=nlayers)

    def forward(self, x):
        return self.one(self.gru(self.rnn(x)[0])[0])[0]


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(320, 50)
        self.drop = nn.Dropout2d(0.1)

    def forward(self, x, flat):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        y = x.view(x.size(0), 20, -1)
        y = self.drop(y)
        if flat:
            x = x.view(-1, 320)
        x = self.drop(x)
        x = torch.flatten(x, 2)
        x = F.dropout2d(x, 0.1, self.training)
        x = x.view(-1, 320)
        x = F.dropout(F.relu(self.fc1(x)), training=self.training)
        return x
