# Directives that silence a finding on their line, a bare `# noqa`, other linters' codes, and a file-level
# directive: nothing here is unused.
# reglens: noqa: RG008
import torch.nn as nn
import torch.nn.functional as F  # noqa: F401


class Head(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.drop = nn.Dropout(0.1)  # noqa: RG007
        self.unused = nn.Linear(dim, dim)  # noqa: E501

    def forward(self, x):
        x = F.dropout(x, 0.1)  # noqa: RG006
        y = F.dropout(x, 0.1)  # noqa: RG006, RG010
        return self.fc(x + y)  # noqa
