# Channel dropout on the last step of an LSTM, as pytorch/examples' mnist_rnn/main.py has it: `output[:, -1, :]` of
# a (batch, seq, hidden) output is a flat (batch, hidden) batch, and so is `fc1`'s output after it.
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.rnn = nn.LSTM(input_size=28, hidden_size=64, batch_first=True)
        self.batchnorm = nn.BatchNorm1d(64)
        self.dropout1 = nn.Dropout2d(0.25)  # expect: RG014
        self.dropout2 = nn.Dropout2d(0.5)  # expect: RG014
        self.fc1 = nn.Linear(64, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, input):
        # Shape of input is (batch_size,1, 28, 28)
        # converting shape of input to (batch_size, 28, 28)
        # as required by RNN when batch_first is set True
        input = input.reshape(-1, 28, 28)
        output, hidden = self.rnn(input)

        # RNN output shape is (seq_len, batch, input_size)
        # Get last output of RNN
        output = output[:, -1, :]
        output = self.batchnorm(output)
        output = self.dropout1(output)
        output = self.fc1(output)
        output = F.relu(output)
        output = self.dropout2(output)
        output = self.fc2(output)
        output = F.log_softmax(output, dim=1)
        return output


class Pooled(nn.Module):
    """A sequence averaged over its steps, then a channel dropout on the (N, D) result."""

    def __init__(self, dim):
        super().__init__()
        self.gru = nn.GRU(dim, dim, batch_first=True)
        self.drop = nn.Dropout1d(0.1)  # expect: RG014
        self.head = nn.Linear(dim, 2)

    def forward(self, tokens):
        x = tokens.view(tokens.size(0), -1, 32)
        out, _ = self.gru(x)
        return self.head(self.drop(out.mean(dim=1)))
