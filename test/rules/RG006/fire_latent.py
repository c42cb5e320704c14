# A rate that is 0 by default and that nothing in the file raises: the mistake is latent (information severity).
# Where the file's own code raises the rate, it is a warning.
import torch.nn as nn
import torch.nn.functional as F


class Head(nn.Module):
    def __init__(self, dim, dropout=0.0):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.dropout = dropout

    def forward(self, x):
        return F.dropout(self.fc(x), p=self.dropout)  # expect: RG006 (info)


class Raised(nn.Module):
    def __init__(self, dim, dropout=0.0):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.dropout = dropout

    def forward(self, x):
        return F.dropout(self.fc(x), p=self.dropout)  # expect: RG006 (warning)


model = Raised(16, dropout=0.1)
