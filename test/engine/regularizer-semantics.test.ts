// RegularizerSemantics for every hand-written regularizer in the RG003–RG005 fixtures: what kind it is, how many
// random decisions its mask makes, its keep probability, and E[y]/E[x] in training and in evaluation. Then the
// numbers with known rates, the analyzer's cache across statements the records read, and bad input.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { Analyzer } from '../../server/engine/analyze';
import { RuleSelection } from '../../server/engine/config';
import { FileModel } from '../../server/engine/model';
import { initParser, SourceFile } from '../../server/engine/parser';
import { describeRegularizer } from '../../server/engine/semantics/describe';
import type { RegularizerSemantics } from '../../server/engine/semantics/record';
import { handWrittenRegularizers } from '../../server/engine/semantics/regularizers';
import { rules } from '../../server/rules';

before(() => initParser());

type Row = [
  kind: string,
  granularity: string,
  keep: string,
  train: string,
  evalFactor: string | null,
  evaluation: string,
];

/** Every record of each fixture (classes by name, their `forward` methods left out), in file order. */
const EXPECTED: Record<string, Record<string, Row>> = {
  'RG003/fire.py': {
    drop_path_batch: ['drop-path', 'batch', '1 - drop_prob', '1', '1', 'identity'],
    drop_path_ones: ['drop-path', 'batch', '1 - drop_prob', '1', '1', 'identity'],
    drop_path_elementwise: ['drop-path', 'element', '1 - drop_prob', '1', '1', 'identity'],
    drop_path_float_tensor: ['drop-path', 'element', '1 - drop_prob', '1', '1', 'identity'],
    stochastic_depth_python_random: ['drop-path', 'batch', '1 - p', '1', '1', 'identity'],
    drop_path_switchable: ['drop-path', 'conditional', '1 - drop_prob', '1', '1', 'identity'],
    DropPath: ['drop-path', 'element', '1 - drop_prob', '1', '1', 'identity'],
    StochasticDepth: ['drop-path', 'batch', '1 - p', '1', '1', 'identity'],
    DropPathNumpy: ['drop-path', 'batch', '1 - drop_prob', '1', '1', 'identity'],
  },
  'RG003/silent.py': {
    stochastic_depth: ['drop-path', 'conditional', '1 - p', '1', '1', 'identity'],
    drop_path: ['drop-path', 'sample', '1 - drop_prob', '1', '1', 'identity'],
    stochastic_depth_whole_batch: ['drop-path', 'batch', '1 - drop_prob', '1', '1', 'identity'],
    drop_path_sized: ['drop-path', 'sample', '1 - drop_prob', '1', '1', 'identity'],
    DropPath: ['drop-path', 'sample', '1 - drop_prob', '1', '1', 'identity'],
    DropPath3d: ['drop-path', 'sample', '1 - p', '1', '1', 'identity'],
    Dropout: ['dropout', 'element', '1 - p', '1', '1', 'identity'],
  },
  'RG004/fire.py': {
    drop_path: ['drop-path', 'sample', '1 - drop_prob', '1 - drop_prob', '1', 'identity'],
    drop_path_switch: ['drop-path', 'sample', '1 - drop_prob', '1 - drop_prob', '1', 'identity'],
    stochastic_depth_floor: ['drop-path', 'sample', '1 - p', '1 - p', '1', 'identity'],
    drop_path_split: ['drop-path', 'sample', '1 - drop_prob', '1 - drop_prob', '1', 'identity'],
    DropPath: ['drop-path', 'sample', '1 - drop_prob', '1 - drop_prob', '1', 'identity'],
    StochasticDepthInPlace: ['drop-path', 'sample', '1 - p', '1 - p', '1', 'identity'],
    DropPathWhere: ['drop-path', 'sample', '1 - drop_prob', '1 - drop_prob', '1', 'identity'],
    drop_path_by_rate: ['drop-path', 'sample', '1 - drop_prob', '(1 - drop_prob) / drop_prob', '1', 'identity'],
    DropPathHelperMethod: ['drop-path', 'sample', '1 - drop_prob', '1 - drop_prob', '1', 'identity'],
    DropPathSwitch: ['drop-path', 'sample', '1 - drop_prob', '1 - drop_prob', '1', 'identity'],
  },
  'RG004/silent.py': {
    drop_path: ['drop-path', 'sample', '1 - drop_prob', '1', '1', 'identity'],
    drop_path_old: ['drop-path', 'sample', '1 - drop_prob', '1', '1', 'identity'],
    drop_path_switch_off: ['drop-path', 'sample', '1 - drop_prob', '1', '1', 'identity'],
    DropPath: ['drop-path', 'sample', '1 - drop_prob', '1', '1', 'identity'],
    StochasticDepthScaled: ['drop-path', 'sample', '1 - p', '1', '1', 'identity'],
    NonInvertedStochasticDepth: ['drop-path', 'sample', 'survival', 'survival', 'survival', 'scaled'],
    DropPathWhere: ['drop-path', 'sample', '1 - drop_prob', '1', '1', 'identity'],
    drop_path_mul: ['drop-path', 'sample', '1 - drop_prob', '1', '1', 'identity'],
    drop_path_uniform: ['drop-path', 'sample', '1 - drop_prob', '1', '1', 'identity'],
  },
  'RG005/fire.py': {
    MyDropout: ['dropout', 'element', '1 - p', '1 - p', '1', 'identity'],
    DividesByP: ['dropout', 'element', '1 - p', '(1 - p) / p', '1', 'identity'],
    ScalesAtTraining: ['dropout', 'element', '1 - p', '(1 - p) * (1 - p)', '1', 'identity'],
    dropout: ['dropout', 'element', '1 - p', '1 - p', '1', 'identity'],
    dropout_masked_fill: ['dropout', 'element', '1 - p', '1 - p', '1', 'identity'],
    ZeroByIndex: ['dropout', 'element', '1 - rate', '1 - rate', '1', 'identity'],
    InPlaceDropout: ['dropout', 'element', '1 - p', '1 - p', '1', 'identity'],
    numpy_dropout: ['dropout', 'element', '1 - p', '1 - p', '1', 'identity'],
    DropConnectLinear: ['dropout', 'element', '1 - p', '1 - p', '1', 'identity'],
    QuantNoise: ['dropout', 'element', '1 - p', '1 - p', '1', 'identity'],
  },
  'RG005/silent.py': {
    InvertedDropout: ['dropout', 'element', '1 - p', '1', '1', 'identity'],
    NonInvertedDropout: ['dropout', 'element', '1 - p', '1 - p', '1 - p', 'scaled'],
    dropout_layer: ['dropout', 'element', '1 - dropout', '1', '1', 'caller'],
    dropout_scaled_once: ['dropout', 'element', '1 - p', '1', '1', 'identity'],
    dropout_ones: ['dropout', 'element', '1 - p', '1', '1', 'identity'],
    ScaledInInit: ['dropout', 'element', '1 - p', '1', '1', 'identity'],
    DropPath: ['drop-path', 'sample', '1 - p', '1 - p', '1', 'identity'],
    QuantNoise: ['dropout', 'element', '1 - p', '1', '1', 'identity'],
    AlwaysRandom: ['dropout', 'element', '0.5', '0.5', null, 'stochastic'],
  },
};

function records(text: string): RegularizerSemantics[] {
  const file = new SourceFile(text);
  // The records hold nodes of the tree; the tests read them before the file is disposed.
  after.push(() => file.dispose());
  return handWrittenRegularizers(new FileModel(file));
}

const after: (() => void)[] = [];

describe('RegularizerSemantics of each fixture', () => {
  for (const [fixture, expected] of Object.entries(EXPECTED)) {
    test(fixture, () => {
      const text = fs.readFileSync(path.join(__dirname, '..', 'rules', fixture), 'utf8');
      const found = records(text).filter((s) => !s.name.endsWith('.forward'));
      const actual = Object.fromEntries(
        found.map((s): [string, Row] => [
          s.name,
          [
            s.kind,
            s.mask.granularity,
            s.keepProbability.expression,
            s.expectation.train.expression,
            s.expectation.eval?.expression ?? null,
            s.evaluation.behaviour,
          ],
        ]),
      );
      assert.deepEqual(actual, expected);
      for (const f of after.splice(0)) f();
    });
  }
});

const TIMM = `import torch
import torch.nn as nn

def drop_path(x, drop_prob: float = 0.25, training: bool = False, scale_by_keep: bool = True):
    if drop_prob == 0. or not training:
        return x
    keep_prob = 1 - drop_prob
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    random_tensor = x.new_empty(shape).bernoulli_(keep_prob)
    if keep_prob > 0.0 and scale_by_keep:
        random_tensor.div_(keep_prob)
    return x * random_tensor

class MyDropout(nn.Module):
    def __init__(self, p=0.2):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.training:
            return x * (torch.rand_like(x) > self.p)
        return x
`;

describe('records', () => {
  test("timm's drop_path: per sample, switch on by default, identity in evaluation, numbers from the defaults", () => {
    const [s] = records(TIMM);
    assert.equal(s.name, 'drop_path');
    assert.equal(s.mask.granularity, 'sample');
    assert.equal(s.mask.shapeNode?.text, '(x.shape[0],) + (1,) * (x.ndim - 1)');
    assert.equal(s.mask.node.startPosition.row, 8);
    assert.deepEqual(s.keepProbability, { expression: '1 - drop_prob', value: 0.75 });
    assert.equal(s.trainScale.expression, '1 / (1 - drop_prob)');
    assert.ok(Math.abs(s.trainScale.value! - 4 / 3) < 1e-12);
    assert.deepEqual(
      { name: s.trainScale.switch?.name, default: s.trainScale.switch?.default },
      { name: 'scale_by_keep', default: true },
    );
    assert.equal(s.evaluation.behaviour, 'identity');
    assert.deepEqual(s.expectation, { train: { expression: '1', value: 1 }, eval: { expression: '1', value: 1 } });
    assert.equal(s.expectationMismatch, false);
    assert.equal(s.application?.text, 'x * random_tensor');
    for (const f of after.splice(0)) f();
  });

  test('a dropout without rescale: E[y]/E[x] is 0.8 in training and 1 in evaluation with p = 0.2', () => {
    const s = records(TIMM).find((r) => r.name === 'MyDropout')!;
    assert.equal(s.kind, 'dropout');
    assert.deepEqual(s.expectation.train, { expression: '1 - p', value: 0.8 });
    assert.deepEqual(s.expectation.eval, { expression: '1', value: 1 });
    assert.equal(s.expectationMismatch, true);
    assert.deepEqual(s.defaults, { p: 0.2 });
    const words = describeRegularizer(s);
    assert.match(words, /one random decision per element/);
    assert.match(words, /E\[y\]\/E\[x\]: `1 - p` \(0\.8\) in training, `1` in evaluation — they differ/);
    for (const f of after.splice(0)) f();
  });

  test('code that draws random numbers without masking a tensor is no regularizer', () => {
    const text =
      'import torch\n\ndef noise(x):\n    return x + torch.rand_like(x)\n\ndef seed():\n    return ' +
      'torch.rand(1).item()\n';
    assert.deepEqual(records(text), []);
    for (const f of after.splice(0)) f();
  });

  test('broken and odd code gives no record and no exception', () => {
    for (const text of [
      'import torch\ndef drop_path(x, p, training):\n    mask = torch.rand(',
      'import torch\ndef f(x):\n    x = x * torch.rand(*)\n',
      'import torch\nclass A:\n    def forward(self):\n        return self.forward() * torch.rand(1)\n',
    ]) {
      assert.doesNotThrow(() => records(text));
    }
    for (const f of after.splice(0)) f();
  });
});

describe('the analyzer cache follows what the records read elsewhere in the file', () => {
  const only = new RuleSelection({ select: ['RG003', 'RG004'] });
  const SWITCHED = `import torch

def drop_path(x, drop_prob=0.1, training=False, scale_by_keep=False):
    if not training:
        return x
    keep_prob = 1 - drop_prob
    mask = x.new_empty((x.shape[0], 1, 1)).bernoulli_(keep_prob)
    if scale_by_keep:
        mask = mask / keep_prob
    return x * mask
`;

  function run(analyzer: Analyzer, text: string): string[] {
    const file = new SourceFile(text);
    try {
      return analyzer.analyze(file, only).map((f) => `${f.range.start.line + 1} ${f.code}`);
    } finally {
      file.dispose();
    }
  }

  test('a call elsewhere that turns scale_by_keep on silences RG004, and removing it brings it back', () => {
    const analyzer = new Analyzer(rules);
    const caller = (flag: string) =>
      `${SWITCHED}\n\nclass Block(torch.nn.Module):\n    def forward(self, x):\n        return x + drop_path(x, ` +
      `0.1, self.training, scale_by_keep=${flag})\n`;
    assert.deepEqual(run(analyzer, caller('False')), ['10 RG004']);
    // Only the class changes; the function's statement text is the same.
    assert.deepEqual(run(analyzer, caller('True')), []);
    assert.deepEqual(run(analyzer, caller('False')), ['10 RG004']);
  });

  test('editing a helper that builds the mask re-checks the function that applies it', () => {
    const helper = (shape: string) => `import torch

def _mask(x, keep_prob):
    return x.new_empty(${shape}).bernoulli_(keep_prob)

def drop_path(x, drop_prob, training=False):
    if not training:
        return x
    keep_prob = 1 - drop_prob
    return x * _mask(x, keep_prob) / keep_prob
`;
    const analyzer = new Analyzer(rules);
    assert.deepEqual(run(analyzer, helper('(x.shape[0], 1, 1)')), []);
    assert.deepEqual(run(analyzer, helper('(1, 1, 1)')), ['10 RG003']);
    assert.deepEqual(run(analyzer, helper('(x.shape[0], 1, 1)')), []);
  });
});

describe('one defect, one finding', () => {
  // With all three rules on, each fire fixture reports exactly its own rule's expectations: a batch-wide decision
  // that is rescaled is RG003 only, a per-sample mask without rescale RG004 only, a rescaled element-wise drop path
  // RG003 only.
  const all = new RuleSelection({ select: ['RG003', 'RG004', 'RG005'] });
  for (const code of ['RG003', 'RG004', 'RG005']) {
    for (const fixture of ['fire.py', 'silent.py']) {
      test(`${code}/${fixture}`, () => {
        const text = fs.readFileSync(path.join(__dirname, '..', 'rules', code, fixture), 'utf8');
        const expected = text.split('\n').flatMap(
          (line, i) =>
            /# expect: ([A-Z0-9, ]+)/
              .exec(line)?.[1]
              .split(',')
              .map((c) => `${i + 1} ${c.trim()}`) ?? [],
        );
        const file = new SourceFile(text);
        try {
          assert.deepEqual(
            new Analyzer(rules).analyze(file, all).map((f) => `${f.range.start.line + 1} ${f.code}`),
            expected,
          );
        } finally {
          file.dispose();
        }
      });
    }
  }
});
