# Directives that silence nothing: the mistake was fixed, the finding never started on this line, or the code is
# not a Reglens rule. Codes of other linters (E501, F401) are theirs.
import torch.nn as nn
import torch.nn.functional as F


class Head(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.drop = nn.Dropout(0.1)  # noqa: RG007  # expect: RG100

    def forward(self, x):
        x = self.drop(x)  # noqa: E501, RG010  # expect: RG100
        z = F.dropout(x, 0.1, training=self.training)  # noqa: RG006 (kept for the export)  # expect: RG100
        w = F.dropout(x, 0.1, training=self.training)  # type: ignore  # noqa: RG006, RG011  # expect: RG100
        return self.fc(x + z + w)  # noqa: RG999  # expect: RG100


class Multiline(nn.Module):
    def forward(self, x):
        # A finding is silenced on the line where it starts: this directive, on the call's last line, never was.
        y = F.dropout(
            x,
            0.1,
        )  # noqa: RG006  # expect: RG100
        return y  # noqa
