import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { FileModel } from '../../server/engine/model';
import { initParser, type Node, SourceFile } from '../../server/engine/parser';
import { CALL_NODES, walk } from '../../server/engine/syntax';

before(() => initParser());

/** Resolves the callee of the last line's call, with the lines before it as the file's imports. */
function resolveLast(source: string): string | null {
  const file = new SourceFile(source);
  try {
    const model = new FileModel(file);
    const root = file.root;
    const last = root.namedChild(root.namedChildCount - 1)!;
    let call: Node | undefined;
    walk(
      last,
      (n) => {
        call ??= n;
        return false;
      },
      CALL_NODES,
    );
    return model.imports.resolve(call!.childForFieldName('function'));
  } finally {
    file.dispose();
  }
}

const cases: [string, string, string | null][] = [
  ['import torch', 'torch.nn.functional.dropout(x)', 'torch.nn.functional.dropout'],
  ['import torch.nn as nn', 'nn.Dropout(0.1)', 'torch.nn.Dropout'],
  ['import torch.nn', 'torch.nn.Dropout(0.1)', 'torch.nn.Dropout'],
  ['from torch import nn', 'nn.Dropout2d(0.1)', 'torch.nn.Dropout2d'],
  ['import torch.nn.functional as F', 'F.dropout(x)', 'torch.nn.functional.dropout'],
  ['from torch.nn import functional as fn', 'fn.dropout(x)', 'torch.nn.functional.dropout'],
  ['from torch.nn import Dropout, Dropout2d', 'Dropout2d(0.1)', 'torch.nn.Dropout2d'],
  ['from timm.layers import DropPath, drop_path', 'drop_path(x, 0.1)', 'timm.layers.drop_path'],
  ['from timm.models.layers import DropPath', 'DropPath(0.1)', 'timm.layers.DropPath'],
  [
    'from torchvision.ops import StochasticDepth, stochastic_depth',
    'StochasticDepth(0.1, "row")',
    'torchvision.ops.StochasticDepth',
  ],
  [
    'from torchvision.ops.stochastic_depth import stochastic_depth',
    'stochastic_depth(x, 0.1, "row")',
    'torchvision.ops.stochastic_depth',
  ],
  ['import torch.nn as nn\nDrop = nn.Dropout', 'Drop(0.1)', 'torch.nn.Dropout'],
  ['import torch.nn.functional as F\ndropout = F.dropout', 'dropout(x)', 'torch.nn.functional.dropout'],
  ['from torch.nn import *', 'Dropout(0.1)', 'torch.nn.Dropout'],
  [
    'try:\n    from timm.layers import DropPath\nexcept ImportError:\n    from timm.models.layers import DropPath',
    'DropPath(0.1)',
    'timm.layers.DropPath',
  ],
  // Not the library's: relative imports, local definitions, names never imported.
  ['from .layers import DropPath', 'DropPath(0.1)', '.layers.DropPath'],
  ['import torch.nn as nn\nclass Dropout(nn.Module):\n    pass', 'Dropout(0.1)', null],
  ['from torch.nn import Dropout\ndef Dropout(p):\n    return p', 'Dropout(0.1)', null],
  ['', 'Dropout(0.1)', null],
  ['import torch.nn as nn\nnn = make_fake_nn()', 'nn.Dropout(0.1)', null],
];

for (const [imports, call, expected] of cases) {
  test(`${JSON.stringify(imports)} → ${call} is ${expected ?? 'not a library name'}`, () => {
    assert.equal(resolveLast(`${imports}\n${call}\n`), expected);
  });
}

test(
  'a class deriving from nn.Module through classes of the file is a module; one with an outside base is not ' +
    'closed',
  () => {
    const file = new SourceFile(
      'import torch.nn as nn\nfrom .base import Base\nclass A(nn.Module): pass\nclass B(A): pass\nclass C(Base): ' +
        'pass\nclass D: pass\n',
    );
    try {
      const model = new FileModel(file);
      assert.equal(model.classes.get('B')!.isModule, true);
      assert.equal(model.classes.get('B')!.closedHierarchy, true);
      assert.equal(model.classes.get('C')!.isModule, false);
      assert.equal(model.classes.get('C')!.closedHierarchy, false);
      assert.equal(model.classes.get('D')!.isModule, false);
    } finally {
      file.dispose();
    }
  },
);

test('the module model records submodules in containers and every self reference', () => {
  const src = [
    'import torch.nn as nn',
    'class M(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    '        self.drop = nn.Dropout(0.1)',
    '        self.seq = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.2))',
    '        self.drops = nn.ModuleDict({"a": nn.Dropout(0.1), "b": nn.AlphaDropout(0.1)})',
    '    def forward(self, x):',
    '        return self.seq(self.drop(x)) + self.drop.p',
  ].join('\n');
  const file = new SourceFile(src);
  try {
    const cls = new FileModel(file).classes.get('M')!;
    const subs = new Map(cls.members.submodules.map((s) => [s.name, s.regularizers.map((r) => r.qualifiedName)]));
    assert.deepEqual(subs.get('drop'), ['torch.nn.Dropout']);
    assert.deepEqual(subs.get('seq'), [], 'a Sequential with a Linear is not a container of regularizers');
    assert.deepEqual(subs.get('drops'), ['torch.nn.Dropout', 'torch.nn.AlphaDropout']);
    assert.equal(cls.members.selfReferences.get('drop')!.length, 3);
    assert.deepEqual([...cls.members.methods.keys()], ['__init__', 'forward']);
  } finally {
    file.dispose();
  }
});
