// Lints every .py file of PyTorch and torchvision. Any finding must be in the reviewed baseline with a reason:
// a false positive is fixed in the rule, not accepted here.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { lintText } from '../../server/engine/analyze';
import { initParser } from '../../server/engine/parser';
import { ensureCorpus, pythonFiles } from './corpus';
import { rules } from '../../server/rules';

interface BaselineEntry {
  path: string;
  line: number;
  code: string;
  reason: string;
}

// Rule exceptions must surface here instead of being contained as they are for users.
process.env.REGLENS_DEBUG = '1';

const baseline: BaselineEntry[] = JSON.parse(fs.readFileSync(path.join(__dirname, 'baseline.json'), 'utf8')).findings;

before(() => initParser());

test('PyTorch and torchvision: no crash, and every finding is a reviewed one', () => {
  const root = ensureCorpus();
  const files = pythonFiles(root);
  assert.ok(files.length > 1000, `expected the torch corpus to hold over 1000 files, found ${files.length}`);
  const found: string[] = [];
  for (const file of files) {
    const rel = path.relative(root, file).split(path.sep).join('/');
    for (const f of lintText(rules, fs.readFileSync(file, 'utf8')))
      found.push(`${rel}:${f.range.start.line + 1} ${f.code}`);
  }
  const reviewed = new Set(baseline.map((b) => `${b.path}:${b.line} ${b.code}`));
  const unreviewed = found.filter((f) => !reviewed.has(f));
  assert.deepEqual(
    unreviewed,
    [],
    'findings not in test/real-code/baseline.json: read the code, then fix the rule or add the finding with a reason',
  );
  const stale = [...reviewed].filter((r) => !found.includes(r));
  assert.deepEqual(stale, [], 'baseline entries that no longer fire: remove them');
  for (const b of baseline) assert.ok(b.reason.trim().length > 10, `baseline entry ${b.path}:${b.line} needs a reason`);
});
