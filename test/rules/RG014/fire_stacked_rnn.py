# Hand-written stacked recurrent cells in the manner of OpenNMT-py's StackedLSTM: the guard meant to keep the
# inter-layer dropout off the last layer compares a 0-based index with the layer count.
import torch
import torch.nn as nn


class StackedLSTM(nn.Module):
    def __init__(self, num_layers, input_size, rnn_size, dropout):
        super(StackedLSTM, self).__init__()
        self.dropout = nn.Dropout(dropout)
        self.num_layers = num_layers

        for i in range(num_layers):
            layer = nn.LSTMCell(input_size, rnn_size)
            self.add_module('layer_%d' % i, layer)
            input_size = rnn_size

    def forward(self, input, hidden):
        h_0, c_0 = hidden
        h_1, c_1 = [], []
        for i in range(self.num_layers):
            layer = getattr(self, 'layer_%d' % i)
            h_1_i, c_1_i = layer(input, (h_0[i], c_0[i]))
            input = h_1_i
            if i != self.num_layers:  # expect: RG014
                input = self.dropout(input)
            h_1 += [h_1_i]
            c_1 += [c_1_i]
        return input, (torch.stack(h_1), torch.stack(c_1))


class StackedGRU(nn.Module):
    def __init__(self, num_layers, input_size, rnn_size, dropout):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.num_layers = num_layers
        self.layers = nn.ModuleList()
        for _ in range(num_layers):
            self.layers.append(nn.GRUCell(input_size, rnn_size))
            input_size = rnn_size

    def forward(self, input, hidden):
        h_1 = []
        for i, layer in enumerate(self.layers):
            h_1_i = layer(input, hidden[i])
            input = h_1_i
            if i != self.num_layers:  # expect: RG014
                input = self.dropout(input)
            h_1 += [h_1_i]
        return input, torch.stack(h_1)


class Cells(nn.Module):
    def __init__(self, n, size, p):
        super().__init__()
        self.cells = nn.ModuleList([nn.LSTMCell(size, size) for _ in range(n)])
        self.p = p

    def forward(self, x, state):
        for i, cell in enumerate(self.cells):
            x, c = cell(x, state[i])
            if len(self.cells) > i:  # expect: RG014
                x = torch.nn.functional.dropout(x, self.p, self.training)
        return x
