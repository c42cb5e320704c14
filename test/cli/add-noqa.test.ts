// `reglens check --add-noqa`: every finding silenced by a `# noqa: CODE` comment on its line, once.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CELLS, notebookJson } from '../notebooks/fixtures';
import { BLOCK, makeTree, read, runCli } from './helpers';

/** BLOCK with its two findings silenced. */
const BLOCK_SILENCED = BLOCK.replace('nn.Dropout(0.1)\n', 'nn.Dropout(0.1)  # noqa: RG007\n').replace(
  'F.dropout(x, 0.1)\n',
  'F.dropout(x, 0.1)  # noqa: RG006\n',
);

describe('reglens check --add-noqa', () => {
  it('adds a directive on each line with a finding; a second run adds nothing and writes nothing', () => {
    const dir = makeTree({ 'model.py': BLOCK });
    const r = runCli(['check', '--add-noqa', 'model.py'], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(read(dir, 'model.py'), BLOCK_SILENCED);
    assert.equal(r.stderr, 'Added 2 `# noqa` directives to 1 file.\n');
    assert.equal(r.stdout, 'All checks passed! (1 file)\n');
    assert.equal(runCli(['check', 'model.py'], { cwd: dir }).code, 0);

    const before = fs.statSync(path.join(dir, 'model.py')).mtimeMs;
    const again = runCli(['check', '--add-noqa', 'model.py'], { cwd: dir });
    assert.equal(again.code, 0);
    assert.equal(again.stderr, 'Added no `# noqa` directives.\n');
    assert.equal(fs.statSync(path.join(dir, 'model.py')).mtimeMs, before, 'the file is not rewritten');
  });

  it('puts every code of a line in one directive, and extends a directive the line has', () => {
    const text = `import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.drop = nn.Dropout(1.5)

    def forward(self, x):
        x = F.dropout(x, 0.1)  # noqa: E501 (kept from before)
        return self.fc(x)
`;
    const dir = makeTree({ 'model.py': text });
    const r = runCli(['check', '--add-noqa', 'model.py'], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(
      read(dir, 'model.py'),
      text
        .replace('nn.Dropout(1.5)\n', 'nn.Dropout(1.5)  # noqa: RG007, RG008\n')
        .replace('# noqa: E501 (kept', '# noqa: E501, RG006 (kept'),
    );
    assert.equal(r.stderr, 'Added 2 `# noqa` directives to 1 file.\n');
  });

  it('reports the findings whose line cannot take a comment, and exits 1', () => {
    // A line continued with a backslash: a comment there would end the statement.
    const text = `import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def forward(self, x):
        return F.dropout(x, 0.1) + \\
            x
`;
    const dir = makeTree({ 'model.py': text });
    const r = runCli(['check', '--add-noqa', 'model.py'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.equal(read(dir, 'model.py'), text);
    assert.equal(r.stderr, 'Added no `# noqa` directives.\n');
    assert.match(r.stdout, /^model\.py:7:16: RG006 /m);
  });

  it('silences a notebook cell by cell, keeping the notebook valid', () => {
    const dir = makeTree({ 'train.ipynb': notebookJson(CELLS) });
    const found = runCli(['check', '--format', 'json', 'train.ipynb'], { cwd: dir });
    const count = JSON.parse(found.stdout).diagnostics.length;
    assert.ok(count >= 3, found.stdout);
    const r = runCli(['check', '--add-noqa', 'train.ipynb'], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stderr, `Added ${count} \`# noqa\` directives to 1 file.\n`);
    const cells = JSON.parse(read(dir, 'train.ipynb')).cells as { source: string[] }[];
    const silenced = cells.flatMap((c) => c.source).filter((line) => /# noqa: RG\d+/.test(line));
    assert.equal(silenced.length, count);
    assert.equal(runCli(['check', 'train.ipynb'], { cwd: dir }).stdout, 'All checks passed! (1 file)\n');
  });

  it('prints the silenced source for stdin, the report on stderr', () => {
    const dir = makeTree({});
    const r = runCli(['check', '--add-noqa', '--stdin-filename', 'model.py'], { cwd: dir, input: BLOCK });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, BLOCK_SILENCED);
    assert.match(r.stderr, /^Added 2 `# noqa` directives to 1 file\.\nAll checks passed! \(1 file\)\n$/);
  });

  it('cannot be combined with --fix', () => {
    const dir = makeTree({ 'model.py': BLOCK });
    const r = runCli(['check', '--add-noqa', '--fix', 'model.py'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot be combined with --fix/);
    assert.equal(read(dir, 'model.py'), BLOCK);
  });
});
