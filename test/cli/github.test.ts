import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CELLS, notebookJson } from '../notebooks/fixtures';
import { BLOCK, makeTree, runCli } from './helpers';
import { joined } from '../patterns';

// `--output-format github`: GitHub Actions workflow commands, one per finding, which a workflow run shows as
// annotations on the file and line.
describe('reglens check --output-format github', () => {
  it('prints one workflow command per finding, with the file, the 1-based range and the severity', () => {
    const dir = makeTree({ 'src/model.py': BLOCK });
    const r = runCli(['check', '--output-format', 'github', '.'], { cwd: dir });
    assert.equal(r.code, 1, 'problems fail the step, as in the text format');
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2, r.stdout);
    assert.match(
      lines[0],
      joined(
        /^::warning title=Reglens \(RG007\),file=src\/model\.py,line=8,col=9,endLine=8,endColumn=\d+::src\/mode/,
        /l\.py:8:9: RG007 `self\.drop` /,
      ),
    );
    assert.match(
      lines[1],
      /^::warning title=Reglens \(RG006\),file=src\/model\.py,line=11,col=13,endLine=11,endColumn=\d+::/,
    );
  });

  it('escapes what would end a property or the message, and maps severities to error, warning and notice', () => {
    const rate = BLOCK.replace('nn.Dropout(0.1)', 'nn.Dropout(1.5)');
    const dir = makeTree({ 'a,b:c.py': rate, 'pyproject.toml': '[tool.reglens]\nseverity = { RG006 = "info" }\n' });
    const r = runCli(['check', '--format', 'github', '.'], { cwd: dir });
    assert.match(
      r.stdout,
      /^::error title=Reglens \(RG008\),file=a%2Cb%3Ac\.py,line=8,/m,
      'an out-of-range rate is an error',
    );
    assert.match(r.stdout, /^::notice title=Reglens \(RG006\),file=a%2Cb%3Ac\.py,/m, 'info is a notice');
    for (const line of r.stdout.trimEnd().split('\n')) assert.match(line, /^::(error|warning|notice) [^\n]+::[^\n]+$/);
  });

  it('names the notebook and says the cell, line and column in the message (not the JSON lines)', () => {
    const dir = makeTree({ 'train.ipynb': notebookJson(CELLS) });
    const r = runCli(['check', '--output-format', 'github', 'train.ipynb'], { cwd: dir });
    const lines = r.stdout.trimEnd().split('\n');
    assert.ok(lines.length > 0, r.stderr);
    for (const line of lines) {
      assert.match(
        line,
        /^::(error|warning) title=Reglens \(RG\d{3}\),file=train\.ipynb::train\.ipynb:cell \d+:\d+:\d+: RG\d{3} /,
      );
      assert.doesNotMatch(line, /line=/);
    }
  });

  it('prints nothing for clean files, and rejects an unknown format', () => {
    const dir = makeTree({ 'model.py': 'print(1)\n' });
    const clean = runCli(['check', '--output-format', 'github', '.'], { cwd: dir });
    assert.equal(clean.code, 0);
    assert.equal(clean.stdout, '');
    const bad = runCli(['check', '--output-format', 'checkstyle', '.'], { cwd: dir });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--output-format must be one of text, full, grouped, json, json-lines, sarif, github, /);
    assert.match(bad.stderr, /gitlab, junit, rdjson, azure, pylint, not "checkstyle"/);
  });
});
