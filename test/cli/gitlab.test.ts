// `--output-format gitlab`: a GitLab Code Quality report, one issue per finding, which a merge request's widget
// compares with the target branch's by fingerprint.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CELLS, notebookJson } from '../notebooks/fixtures';
import { BLOCK, makeTree, runCli } from './helpers';

interface Issue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: string;
  location: { path: string; lines: { begin: number; end?: number } };
}

const report = (args: string[], cwd: string) => {
  const r = runCli(['check', '--output-format', 'gitlab', ...args], { cwd });
  return { code: r.code, issues: JSON.parse(r.stdout) as Issue[], stderr: r.stderr };
};

describe('reglens check --output-format gitlab', () => {
  it('lists each finding with its code, severity, path from the folder checked, and lines', () => {
    const rate = BLOCK.replace('self.drop = nn.Dropout(0.1)', 'self.drop = nn.Dropout(1.5)');
    const dir = makeTree({ 'src/model.py': rate });
    const r = report(['.'], dir);
    assert.equal(r.code, 1, 'problems fail the job, as in the text format');
    assert.deepEqual(
      r.issues.map((i) => [i.check_name, i.severity, i.location.path, i.location.lines.begin]),
      [
        ['RG007', 'minor', 'src/model.py', 8],
        ['RG008', 'major', 'src/model.py', 8],
        ['RG006', 'minor', 'src/model.py', 11],
      ],
    );
    assert.match(r.issues[2].description, /^RG006: `F\.dropout` drops values in evaluation too/);
    assert.equal(new Set(r.issues.map((i) => i.fingerprint)).size, 3);
  });

  it('keeps fingerprints when code above moves, and tells identical findings of a file apart', () => {
    const twice = `${BLOCK}\n\nclass Other(Block):\n    def forward(self, x):\n        return F.dropout(x, 0.1)\n`;
    const dir = makeTree({ 'a.py': twice, 'b.py': `# a comment that moves everything down\n\n${twice}` });
    const a = report(['a.py'], dir).issues;
    const b = report(['b.py'], dir).issues;
    const rg006 = (issues: Issue[]) => issues.filter((i) => i.check_name === 'RG006');
    assert.equal(rg006(a).length, 2);
    assert.notEqual(rg006(a)[0].fingerprint, rg006(a)[1].fingerprint, 'the same message twice in a file');
    assert.deepEqual(
      rg006(b).map((i) => i.location.lines.begin),
      rg006(a).map((i) => i.location.lines.begin + 2),
    );
    // The same findings in the same file keep their fingerprints wherever their lines went.
    const moved = makeTree({ 'a.py': `# a comment that moves everything down\n\n${twice}` });
    assert.deepEqual(
      report(['a.py'], moved).issues.map((i) => i.fingerprint),
      a.map((i) => i.fingerprint),
    );
  });

  it('places a notebook finding on the notebook and says its cell in the description; clean is []', () => {
    const dir = makeTree({ 'train.ipynb': notebookJson(CELLS), 'clean.py': 'print(1)\n' });
    const r = report(['train.ipynb'], dir);
    assert.ok(r.issues.length > 0, r.stderr);
    for (const issue of r.issues) {
      assert.deepEqual(issue.location, { path: 'train.ipynb', lines: { begin: 1 } });
      assert.match(issue.description, /\(cell \d+, line \d+, column \d+\)$/);
    }
    const clean = runCli(['check', '--output-format', 'gitlab', 'clean.py'], { cwd: dir });
    assert.equal(clean.code, 0);
    assert.equal(clean.stdout, '[]\n');
  });
});
