# Channel dropout where the rank read from the code is not 2, or cannot be read: silent.
import torch.nn as nn


class SequenceEncoder(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.lstm = nn.LSTM(dim, dim, batch_first=True)
        self.drop = nn.Dropout1d(0.1)
        self.pool_drop = nn.Dropout1d(0.1)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, lengths):
        x = x.reshape(x.size(0), -1, 64)
        out, (h, c) = self.lstm(x)
        # (N, L, D) → (N, D, L): one channel per feature, as Dropout1d means it.
        out = self.drop(out.transpose(1, 2))
        # The last step of each sequence, picked by a tensor index: the rank is not read.
        last = out[:, lengths - 1]
        last = self.proj(last)
        kept = out.mean(dim=2, keepdim=True)
        return self.pool_drop(kept), last


class FeatureMaps(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3)
        self.conv2 = nn.Conv2d(16, 16, 1)
        self.drop = nn.Dropout2d(0.2)
        self.head_drop = nn.Dropout2d(0.2)

    def forward(self, x, batch_size):
        x = x.view(batch_size, 3, 32, 32)
        x = self.conv(x)
        # One row of each map, kept as a dimension of its own: still (N, C, 1, W).
        rows = self.drop(x)[:, :, 0, None]
        return self.head_drop(self.conv2(rows))


class Unbatched(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(8, 8)
        self.drop = nn.Dropout2d(0.1)

    def forward(self, seq):
        out, _ = self.rnn(seq)
        # The rank of `seq` is not known, so neither is `out`'s.
        return self.drop(out[-1])
