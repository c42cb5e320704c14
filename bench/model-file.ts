// Generates a realistic model file for the LSP benchmark: many nn.Module classes with dropout, drop path and
// attention, unique class names, some with the mistakes Reglens reports, until the file has the wanted length.

export interface ModelFile {
  text: string;
  /** 0-based line and column of a place inside a method body (after a local variable name), one per class. */
  editPoints: { line: number; character: number }[];
}

const TEMPLATES: ((name: string) => string)[] = [
  (name) => `class ${name}(nn.Module):
    """Pre-norm MLP block with residual dropout."""

    def __init__(self, dim, hidden, p=0.1):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)
        self.drop = nn.Dropout(p)
        self.p = p

    def forward(self, x):
        h = self.norm(x)
        h = F.gelu(self.fc1(h))
        h = F.dropout(h, self.p)
        h = self.fc2(h)
        return x + self.drop(h)
`,
  (name) => `class ${name}(nn.Module):
    """Multi-head self-attention with attention dropout."""

    def __init__(self, dim, heads=8, attn_drop=0.0, proj_drop=0.1):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        self.attn_drop = attn_drop
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x):
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=self.attn_drop if self.training else 0.0)
        out = out.transpose(1, 2).reshape(b, n, c)
        return self.proj_drop(self.proj(out))
`,
  (name) => `class ${name}(nn.Module):
    """Residual block with stochastic depth."""

    def __init__(self, dim, drop_path=0.1):
        super().__init__()
        self.conv = nn.Conv2d(dim, dim, 3, padding=1)
        self.bn = nn.BatchNorm2d(dim)
        self.drop_path = drop_path
        self.dropout = nn.Dropout2d(0.05)

    def forward(self, x):
        y = self.bn(self.conv(x))
        y = F.relu(y)
        if self.training and torch.rand(1).item() < self.drop_path:
            return x
        return x + y
`,
  (name) => `class ${name}(nn.Module):
    """Classifier head."""

    def __init__(self, dim, classes, p=0.2):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.fc = nn.Linear(dim, classes)
        self.p = p

    def forward(self, x):
        z = self.pool(x.transpose(1, 2)).flatten(1)
        z = F.dropout(z, p=self.p, training=self.training)
        return self.fc(z)
`,
];

export function generateModelFile(minLines: number): ModelFile {
  const parts = ['import torch', 'import torch.nn as nn', 'import torch.nn.functional as F', '', ''];
  let lines = parts.length;
  const editPoints: ModelFile['editPoints'] = [];
  for (let i = 0; lines < minLines; i++) {
    const name = `Block${String(i).padStart(4, '0')}`;
    const body = TEMPLATES[i % TEMPLATES.length](name).split('\n');
    // The first statement of forward: `        h = ...` / `        b, n, c = ...` / `        y = ...` / `        z =
    // ...`.
    const forward = body.findIndex((l) => l.startsWith('    def forward('));
    const first = forward + 1;
    editPoints.push({ line: lines + first, character: body[first].search(/\S/) + 1 });
    parts.push(...body, '');
    lines += body.length + 1;
  }
  return { text: parts.join('\n'), editPoints };
}
