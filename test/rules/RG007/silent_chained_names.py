# Written after fairseq's models/text_to_speech/fastspeech2.py: one dropout bound to two names, used through the
# first. The module is used; neither name is unused.
import torch.nn as nn


class PositionwiseFeedForward(nn.Module):
    def __init__(self, in_dim, hidden_dim, kernel_size, dropout):
        super().__init__()
        self.ffn = nn.Sequential(
            nn.Conv1d(in_dim, hidden_dim, kernel_size=kernel_size, padding=(kernel_size - 1) // 2),
            nn.ReLU(),
            nn.Conv1d(hidden_dim, in_dim, kernel_size=kernel_size, padding=(kernel_size - 1) // 2),
        )
        self.layer_norm = nn.LayerNorm(in_dim)
        self.dropout = self.dropout_module = nn.Dropout(p=dropout)

    def forward(self, x):
        residual = x
        x = self.ffn(x.transpose(1, 2)).transpose(1, 2)
        x = self.dropout(x)
        return self.layer_norm(x + residual)


class ThroughTheSecondName(nn.Module):
    def __init__(self, dim, dropout):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.dropout = self.dropout_module = nn.Dropout(p=dropout)

    def forward(self, x):
        return self.dropout_module(self.fc(x))
