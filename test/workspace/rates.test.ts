// RG012 across the files of a workspace: the parameters of a class in another file decide which rate a positional
// argument is, and whether a submodule built without a rate could have taken one.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { Analyzer } from '../../server/engine/analyze';
import { RuleSelection } from '../../server/engine/config';
import { initParser, SourceFile } from '../../server/engine/parser';
import { importRoots, WorkspaceIndex } from '../../server/engine/workspace';
import { rules } from '../../server/rules';
import { expected, FIXTURES } from './helpers';

const RG012 = new RuleSelection({ select: ['RG012'] });
const folder = path.join(FIXTURES, 'rates');
const model = path.join(folder, 'ratepkg', 'model.py');

function lint(index: WorkspaceIndex | null): string[] {
  const source = new SourceFile(fs.readFileSync(model, 'utf8'));
  try {
    return new Analyzer(rules)
      .analyze(source, RG012, index ? index.scopeFor(model) : null)
      .map((f) => `${f.range.start.line + 1}:${f.code}`);
  } finally {
    source.dispose();
  }
}

before(() => initParser());

test('RG012 reads the signatures of classes in other workspace files', () => {
  const index = new WorkspaceIndex({
    roots: importRoots(folder),
    read: (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : null),
  });
  for (const name of ['__init__.py', 'layers.py', 'model.py']) index.update(path.join(folder, 'ratepkg', name));
  assert.deepEqual(lint(index), expected(model));
});

test('RG012 without the index: no positional binding, and an unknown class may take the rate', () => {
  const found = lint(null);
  // The positional `config.dropout` binds nothing it can read; FastAttention(dim) is built without the rate.
  assert.deepEqual(found, ['14:RG012']);
});
