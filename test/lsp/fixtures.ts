// Python sources shared by the language-server tests.
import type { Diagnostic } from 'vscode-languageserver-protocol';

/** RG006 on line 10 (safe fix: `, training=self.training`), RG007 on line 7 (unsafe fix: remove the line). */
export const BLOCK = `import torch.nn as nn
import torch.nn.functional as F

class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        x = F.dropout(x, 0.1)
        return self.fc(x)
`;

/**
 * Every rule once: RG007 (line 7, unsafe fix), RG008 out of range (line 8, no fix), RG008 keep probability
 * (line 9, unsafe fix), RG006 (line 12, safe fix), RG011 (line 13, safe fix).
 */
export const MIXED = `import torch.nn as nn
import torch.nn.functional as F

class Block(nn.Module):
    def __init__(self, dim, keep_prob=0.9):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.drop = nn.Dropout(0.1)
        self.bad = nn.Dropout(1.5)
        self.keep = nn.Dropout(p=keep_prob)

    def forward(self, x):
        x = F.dropout(x, 0.1)
        F.dropout(x, 0.1, training=self.training)
        x = self.bad(self.fc(self.keep(self.fc(x))))
        return self.fc(x)
`;

/** No findings: the dropout module is used and the functional call passes the training flag. */
export const CLEAN = `import torch.nn as nn
import torch.nn.functional as F

class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        x = self.drop(x)
        return self.fc(x)
`;

/** A model file of at least `lines` lines: many module classes, each with a used dropout and a correct F.dropout. */
export function modelFile(lines: number): { text: string; editLines: number[] } {
  const parts = ['import torch', 'import torch.nn as nn', 'import torch.nn.functional as F', ''];
  const editLines: number[] = [];
  for (let i = 0; parts.length < lines; i++) {
    parts.push(
      `class Block${i}(nn.Module):`,
      '    def __init__(self, dim, p=0.1):',
      '        super().__init__()',
      '        self.fc = nn.Linear(dim, dim)',
      '        self.drop = nn.Dropout(p)',
      '        self.p = p',
      '',
      '    def forward(self, x):',
      '        h = self.fc(x)',
    );
    editLines.push(parts.length - 1);
    parts.push('        h = F.dropout(h, self.p, training=self.training)', '        return x + self.drop(h)', '', '');
  }
  return { text: parts.join('\n'), editLines };
}

/** Diagnostics without `data` (which names the analysed version), for comparing two analyses of one text. */
export function comparable(diagnostics: readonly Diagnostic[]): Omit<Diagnostic, 'data'>[] {
  return diagnostics.map(({ data: _data, ...rest }) => rest);
}

/** Three profiler sites (module, functional, call of the module), each at a small shape so lenses run quickly. */
export const PROFILED_MODEL = `import torch.nn as nn
import torch.nn.functional as F

class Block(nn.Module):
    def __init__(self, dim, p: float = 0.1):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.drop = nn.Dropout(p)  # reglens: shape=[4, 64, 96]

    def forward(self, x):
        x = F.dropout(x, 0.2)  # reglens: shape=[4, 64, 96]
        return self.drop(self.fc(x))  # reglens: shape=[4, 64, 96]
`;
