// Recall on real regularization bugs from public git history (/work/shared/bugs, read-only): for every row of
// bugs.tsv whose rule is an RG code, the rule must report a finding inside the lines of the file before the fix and
// none inside the lines of the file after it. A finding's line is the line it starts on. Rows of a class of mistake no
// rule covers yet (`NEW:…`) are counted apart and never fail, unless COVERED_BY maps their class to the rule that now
// covers it. Rows out of reach today are listed in NOT_YET, each with its reason; a listed row that starts being
// caught fails the test, so the list is kept honest.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { lintText } from '../../server/engine/analyze';
import { initParser } from '../../server/engine/parser';
import type { Finding } from '../../server/engine/types';
import { rules } from '../../server/rules';

// Rule exceptions must surface here instead of being contained as they are for users.
process.env.REGLENS_DEBUG = '1';

const root = path.resolve(__dirname, '..', '..');
const bugsDir = path.join(root, '..', 'shared', 'bugs');

/** Rows whose rule is not expected to catch them yet, each with why. */
const NOT_YET: Record<string, string> = {
  'opennmt-ea75c17':
    'RG010: the first dropout runs inside `self.embeddings`, the untyped `embeddings` argument of ' +
    'TransformerDecoderBase.__init__; its class (onmt.modules.Embeddings, named only in a docstring) and the ' +
    'PositionalEncoding whose dropout ends its output live in onmt/modules/embeddings.py, which the bug folder does ' +
    'not hold. The file shows only that the module holds some dropout (`self.embeddings.update_dropout(dropout)`), ' +
    'not that its output ends with one. With the embeddings class in the file, RG010 reports it ' +
    '(test/rules/RG010/fire_embedding_module.py)',
};

/**
 * Classes of mistake (`NEW:…` in bugs.tsv) that a rule now covers: their rows are checked against that rule as if
 * the row named it. `NEW:config-dropout-not-applied` (opennmt-12d3ebc) is left out on purpose: a rate used only
 * under a feature flag (`if self.position_encoding:`) is the intended design as often as it is a mistake.
 */
const COVERED_BY: Record<string, string> = {
  'NEW:wrong-config-key': 'RG012',
  'NEW:config-dropout-not-passed': 'RG012',
  'NEW:hardcoded-rate-ignores-config': 'RG012',
  'NEW:dropout-disabled-permanently': 'RG013',
  'NEW:training-flag-frozen-by-fx': 'RG013',
  'NEW:dropout-on-last-rnn-layer': 'RG014',
  'NEW:dropout2d-on-flat-features': 'RG014',
  'NEW:eval-mask-drops-all': 'RG016',
  'NEW:layerdrop-skipped-on-path': 'RG017',
  'NEW:dropout-wrong-tensor': 'RG018',
};

interface Row {
  id: string;
  path: string;
  rule: string;
  before: [number, number];
  after: [number, number];
}

function readRows(): Row[] {
  const [header, ...lines] = fs.readFileSync(path.join(bugsDir, 'bugs.tsv'), 'utf8').split('\n');
  const cols = header.split('\t');
  const at = (cells: string[], name: string) => cells[cols.indexOf(name)];
  return lines
    .filter((l) => l.trim())
    .map((line) => {
      const c = line.split('\t');
      return {
        id: at(c, 'id'),
        path: at(c, 'path'),
        rule: COVERED_BY[at(c, 'rule')] ?? at(c, 'rule'),
        before: [Number(at(c, 'before_line_start')), Number(at(c, 'before_line_end'))],
        after: [Number(at(c, 'after_line_start')), Number(at(c, 'after_line_end'))],
      };
    });
}

const cache = new Map<string, Finding[]>();
function findings(file: string): Finding[] {
  let found = cache.get(file);
  if (!found) {
    found = lintText(rules, fs.readFileSync(file, 'utf8'));
    cache.set(file, found);
  }
  return found;
}

/** Findings (of `code`, or of any rule when null) that start inside the 1-based, inclusive line range. */
function inRange(list: Finding[], code: string | null, [start, end]: [number, number]): Finding[] {
  return list.filter(
    (f) => (code === null || f.code === code) && f.range.start.line + 1 >= start && f.range.start.line + 1 <= end,
  );
}

before(() => initParser());

test('real bugs from git history: caught before the fix, silent after it', (t) => {
  if (!fs.existsSync(path.join(bugsDir, 'bugs.tsv'))) {
    t.skip(`no bug collection at ${bugsDir} (the shared read-only data set is not on this machine)`);
    return;
  }
  const rows = readRows();
  assert.ok(rows.length > 0, 'bugs.tsv holds no rows');
  for (const id of Object.keys(NOT_YET))
    assert.ok(
      rows.some((r) => r.id === id),
      `NOT_YET lists ${id}, which bugs.tsv does not hold`,
    );
  const perRule = new Map<string, { caught: number; total: number }>();
  const missed: string[] = [];
  const noisyAfter: string[] = [];
  const nowCaught: string[] = [];
  const news: string[] = [];
  for (const row of rows) {
    const dir = path.join(bugsDir, row.id);
    const beforeFindings = findings(path.join(dir, 'before', row.path));
    const afterFindings = findings(path.join(dir, 'after', row.path));
    if (!row.rule.startsWith('RG')) {
      const codes = [...new Set(inRange(beforeFindings, null, row.before).map((f) => f.code))];
      news.push(`  ${row.id} ${row.rule}: ${codes.length ? `finding in range (${codes.join(', ')})` : 'none'}`);
      continue;
    }
    const tally = perRule.get(row.rule) ?? { caught: 0, total: 0 };
    perRule.set(row.rule, tally);
    tally.total++;
    const caught = inRange(beforeFindings, row.rule, row.before).length > 0;
    if (caught) tally.caught++;
    const silent = inRange(afterFindings, row.rule, row.after);
    if (silent.length)
      noisyAfter.push(`${row.id}: ${silent.map((f) => `${f.range.start.line + 1}: ${f.message}`).join('; ')}`);
    if (row.id in NOT_YET) {
      if (caught) nowCaught.push(row.id);
    } else if (!caught) missed.push(`${row.id} (${row.rule}, lines ${row.before[0]}-${row.before[1]})`);
  }
  const summary = [...perRule]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([rule, { caught, total }]) => `  ${rule}: ${caught}/${total} caught`);
  const newCount = news.filter((n) => !n.endsWith(': none')).length;
  console.log(
    [
      'Real bugs, caught / total per rule:',
      ...summary,
      `Rows of a mistake no rule covers yet (NEW:…), informational: ${newCount}/${news.length} with a finding in ` +
        'range',
      ...news,
    ].join('\n'),
  );
  assert.deepEqual(missed, [], 'bugs no longer (or not yet) caught: fix the rule, or list them in NOT_YET with why');
  assert.deepEqual(noisyAfter, [], 'findings inside the fixed code');
  assert.deepEqual(nowCaught, [], 'rows in NOT_YET that are now caught: remove them from the list');
});
