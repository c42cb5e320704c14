// Training scripts whose model class lives in another file (train.py beside net.py, nanoGPT's blocks two files
// away): RG015 reads the class through the workspace index, and an edit of the file that holds the dropout reaches
// the script.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { Analyzer } from '../../server/engine/analyze';
import { RuleSelection } from '../../server/engine/config';
import { initParser, SourceFile } from '../../server/engine/parser';
import { importRoots, WorkspaceIndex } from '../../server/engine/workspace';
import type { Finding } from '../../server/engine/types';
import { rules } from '../../server/rules';
import { copyFixture, expected } from './helpers';

const RG015 = new RuleSelection({ select: ['RG015'] });
const FILES = [
  'net.py',
  'blocks.py',
  'gpt.py',
  'train.py',
  'evaluate.py',
  'main.py',
  'engine.py',
  'legacy_engine.py',
  'run.py',
  // A folder of scripts that import each other by bare name (no package), as pytorch/examples writes them.
  'examples/word_language_model/model.py',
  'examples/word_language_model/main.py',
  'examples/word_language_model/sample.py',
  // The same, one file further: finetune.py's model is model.py's, whose dropout is locked_dropout.py's.
  'examples/awd_lstm/locked_dropout.py',
  'examples/awd_lstm/model.py',
  'examples/awd_lstm/finetune.py',
];

function indexFolder(folder: string, files = FILES): WorkspaceIndex {
  const index = new WorkspaceIndex({
    roots: importRoots(folder),
    read: (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : null),
  });
  for (const f of files) index.update(path.join(folder, f));
  return index;
}

function findings(analyzer: Analyzer, index: WorkspaceIndex | null, file: string): Finding[] {
  const source = new SourceFile(fs.readFileSync(file, 'utf8'));
  try {
    return analyzer.analyze(source, RG015, index ? index.scopeFor(file) : null);
  } finally {
    source.dispose();
  }
}

const lines = (found: Finding[]) => found.map((f) => `${f.range.start.line + 1}:${f.code}`);

before(() => initParser());

describe('RG015 with the model imported from another file', () => {
  test('each script is reported where it evaluates a model of another file without model.eval()', () => {
    const folder = copyFixture('training-scripts');
    const index = indexFolder(folder);
    const analyzer = new Analyzer(rules);
    for (const name of FILES) {
      const file = path.join(folder, name);
      assert.deepEqual(lines(findings(analyzer, index, file)), expected(file), name);
    }
    for (const name of [
      'train.py',
      'evaluate.py',
      'examples/word_language_model/sample.py',
      'examples/awd_lstm/finetune.py',
    ])
      assert.deepEqual(findings(analyzer, null, path.join(folder, name)), [], `${name} alone: its model is unknown`);
  });

  test('the message and its related location name the dropout in the file that holds it', () => {
    const folder = copyFixture('training-scripts');
    const [finding] = findings(new Analyzer(rules), indexFolder(folder), path.join(folder, 'evaluate.py'));
    assert.match(finding.message, /its dropout \(`nn\.Dropout` in `MLP`, line 11 of blocks\.py\)/);
    assert.equal(finding.related?.[0].file, path.join(folder, 'blocks.py'));
    assert.equal(finding.related?.[0].range.start.line, 10);
  });

  test('an edit two files away (the block loses its dropout) reaches the script through the same analyzer', () => {
    const folder = copyFixture('training-scripts');
    const index = indexFolder(folder);
    const analyzer = new Analyzer(rules);
    const evaluate = path.join(folder, 'evaluate.py');
    assert.equal(findings(analyzer, index, evaluate).length, 1);
    const blocks = path.join(folder, 'blocks.py');
    fs.writeFileSync(
      blocks,
      fs
        .readFileSync(blocks, 'utf8')
        .replace('self.dropout = nn.Dropout(dropout)', 'self.dropout = nn.Identity()')
        .replace('# A transformer block as nanoGPT writes it: the dropout', '# A transformer block: nothing'),
    );
    index.update(blocks);
    assert.deepEqual(findings(analyzer, index, evaluate), [], 'GPT no longer drops');
  });

  test('a dropout added to the model file makes the finding appear, though the script is unchanged', () => {
    // The script's text is the same both times: what it imports must be part of what its findings are cached under.
    const folder = copyFixture('training-scripts');
    const net = path.join(folder, 'net.py');
    const text = fs.readFileSync(net, 'utf8');
    fs.writeFileSync(net, text.replaceAll('nn.Dropout(', 'nn.Identity('));
    const index = indexFolder(folder);
    const analyzer = new Analyzer(rules);
    const train = path.join(folder, 'train.py');
    assert.deepEqual(findings(analyzer, index, train), []);
    fs.writeFileSync(net, text);
    index.update(net);
    assert.deepEqual(lines(findings(analyzer, index, train)), expected(train));
  });

  test('a function of a module imported whole (`legacy_engine.evaluate_accuracy`) is followed through edits', () => {
    const folder = copyFixture('training-scripts');
    const script = path.join(folder, 'report.py');
    fs.writeFileSync(
      script,
      [
        'import torch',
        'import legacy_engine',
        'from net import Net',
        '',
        'if __name__ == "__main__":',
        '    model = Net()',
        '    print(legacy_engine.evaluate_accuracy(model, []))',
        '',
      ].join('\n'),
    );
    const engine = path.join(folder, 'legacy_engine.py');
    const text = fs.readFileSync(engine, 'utf8');
    fs.writeFileSync(engine, text.replace('    correct = 0\n', '    model.eval()\n    correct = 0\n'));
    const index = indexFolder(folder);
    const analyzer = new Analyzer(rules);
    assert.deepEqual(lines(findings(analyzer, index, script)), [], 'evaluate_accuracy() switches to eval itself');
    // The script is unchanged; only the module it imports whole changes.
    fs.writeFileSync(engine, text);
    index.update(engine);
    assert.deepEqual(lines(findings(analyzer, index, script)), ['7:RG015']);
  });

  test('a neighbour that appears later (locked_dropout.py) reaches the script through the summary of model.py', () => {
    const folder = copyFixture('training-scripts');
    const neighbour = path.join(folder, 'examples', 'awd_lstm', 'locked_dropout.py');
    const text = fs.readFileSync(neighbour, 'utf8');
    fs.rmSync(neighbour);
    const index = indexFolder(
      folder,
      FILES.filter((f) => !f.endsWith('locked_dropout.py')),
    );
    const analyzer = new Analyzer(rules);
    const script = path.join(folder, 'examples', 'awd_lstm', 'finetune.py');
    assert.deepEqual(lines(findings(analyzer, index, script)), [], 'LockedDropout is unknown');
    fs.writeFileSync(neighbour, text);
    index.update(neighbour);
    assert.deepEqual(lines(findings(analyzer, index, script)), expected(script));
  });

  test('a dotted import of a folder beside the script without __init__.py (a namespace package) resolves', () => {
    const folder = copyFixture('training-scripts');
    const here = path.join(folder, 'examples', 'word_language_model');
    fs.mkdirSync(path.join(here, 'nets'));
    fs.renameSync(path.join(here, 'model.py'), path.join(here, 'nets', 'rnn.py'));
    const sample = path.join(here, 'sample.py');
    fs.writeFileSync(sample, fs.readFileSync(sample, 'utf8').replace('from model import', 'from nets.rnn import'));
    const files = FILES.map((f) => f.replace('word_language_model/model.py', 'word_language_model/nets/rnn.py'));
    assert.deepEqual(lines(findings(new Analyzer(rules), indexFolder(folder, files), sample)), expected(sample));
  });
});
