// Notebooks shared by the engine, CLI and language-server tests. Findings sit in several cells and depend on
// other cells: the imports are in cell 1, `Base` (an nn.Module) in cell 2, and `Head(Base)` in cell 5 is a module
// only through it.

export type CellKind = 'code' | 'markdown';

export interface FixtureCell {
  kind: CellKind;
  text: string;
}

/** Imports, behind two line magics. */
export const IMPORTS = `%load_ext autoreload
%autoreload 2
import torch.nn as nn
import torch.nn.functional as F
`;

/** RG008 (rate 1.5 out of range, no fix) on line 4 of the cell. */
export const BASE = `class Base(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.drop = nn.Dropout(1.5)

    def forward(self, x):
        return self.drop(self.fc(x))
`;

/** IPython syntax only, none of it Python: no finding and no syntax error may come from here. */
export const MAGICS = `!pip install timm
files = !ls -la
%time total = sum(range(10))
nn.Dropout?
??F.dropout
result = %timeit -o sum(range(10))
if files:
    %time y = 2
x = (3
     % 2)
`;

/** RG006 (safe fix) on line 3: needs F from the imports cell and Base from cell 2. */
export const HEAD = `class Head(Base):
    def forward(self, x):
        x = super().forward(x)
        return F.dropout(x, 0.1)
`;

/** A cell magic whose body is not Python: what would be RG006 here is not reported. */
export const WRITEFILE = `%%writefile other.py
class Other(Base):
    def forward(self, x):
        return F.dropout(x, 0.5)
`;

/** A cell magic whose body is Python: RG011 (safe fix) on line 3 is reported. */
export const CAPTURE = `%%capture
class Tail(Base):
    def forward(self, x):
        F.dropout(x, 0.2, training=self.training)
        return x
`;

/** The notebook's cells, markdown included: code cells are at indices 1, 2, 4, 5, 6, 7. */
export const CELLS: FixtureCell[] = [
  { kind: 'markdown', text: '# A model across cells\n' },
  { kind: 'code', text: IMPORTS },
  { kind: 'code', text: BASE },
  { kind: 'markdown', text: 'Shell commands and help:' },
  { kind: 'code', text: MAGICS },
  { kind: 'code', text: HEAD },
  { kind: 'code', text: WRITEFILE },
  { kind: 'code', text: CAPTURE },
];

/** nbformat 4 JSON as Jupyter writes it: one-space indent, sources as lists of lines, a final line break. */
export function notebookJson(cells: readonly FixtureCell[]): string {
  const notebook = {
    cells: cells.map((c, i) => ({
      cell_type: c.kind,
      ...(c.kind === 'code' ? { execution_count: null } : {}),
      id: `cell-${i}`,
      metadata: {},
      ...(c.kind === 'code' ? { outputs: [] } : {}),
      source: c.text.match(/[^\n]*\n|[^\n]+$/g) ?? [],
    })),
    metadata: {
      kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' },
      language_info: { name: 'python' },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
  return `${JSON.stringify(notebook, null, 1)}\n`;
}
