# One dropout bound to two names and used through neither: one finding, on the statement, whose removal takes both.
import torch.nn as nn


class PositionwiseFeedForward(nn.Module):
    def __init__(self, in_dim, dropout):
        super().__init__()
        self.fc = nn.Linear(in_dim, in_dim)
        self.dropout = self.dropout_module = nn.Dropout(p=dropout)  # expect: RG007

    def forward(self, x):
        return self.fc(x)
