// Reglens on code no one here wrote: PyTorch, torchvision and torchaudio as Debian packages them, and the shared
// corpus of public model repositories (../shared/corpus). Each is checked as a user would check it, with
// `reglens check --format json` in-process (argument parsing, file discovery, pyproject settings, the workspace index).
// Every finding
// must be listed in reviewed.json with a reason written after reading the code. Only true positives are listed: a
// false positive is fixed in the engine, never accepted here. The test prints the precision per rule.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseArgs } from '../../server/cli/args';
import { runCheck } from '../../server/cli/check';
import type { JsonDiagnostic } from '../../server/cli/formats/json';
import { ensureCorpus } from './corpus';

interface Reviewed {
  /** `debian/<path>:<line>` or `corpus/<repo>/<path>:<line>`. */
  at: string;
  code: string;
  reason: string;
}

// Rule exceptions must surface here (as check errors) instead of being contained as they are for users.
process.env.REGLENS_DEBUG = '1';

const REVIEWED_FILE = path.join(__dirname, 'reviewed.json');
const reviewed: Reviewed[] = JSON.parse(fs.readFileSync(REVIEWED_FILE, 'utf8')).findings;
const SHARED_CORPUS = path.join(__dirname, '..', '..', '..', 'shared', 'corpus');

/** `reglens check --format json --exit-zero .` in `dir`; the findings as `<prefix>/<path>:<line> <code>`. */
async function check(dir: string, prefix: string): Promise<{ found: string[]; files: string[] }> {
  let stdout = '';
  let stderr = '';
  const io = {
    cwd: dir,
    stdout: (t: string) => {
      stdout += t;
    },
    stderr: (t: string) => {
      stderr += t;
    },
    readStdin: () => Buffer.alloc(0),
    color: false,
  };
  const command = parseArgs(['check', '--format', 'json', '--exit-zero', '.']);
  assert.equal(command.kind, 'check');
  const status = command.kind === 'check' ? await runCheck(command.options, io) : 2;
  const errors = stderr.split('\n').filter((l) => l.startsWith('error:'));
  assert.deepEqual(errors, [], `reglens check in ${dir} reported errors`);
  assert.equal(status, 0, stderr);
  const diagnostics: JsonDiagnostic[] = JSON.parse(stdout).diagnostics;
  return {
    found: diagnostics.map((d) => `${prefix}/${d.path}:${d.line} ${d.code}`),
    files: [...new Set(diagnostics.map((d) => d.path))],
  };
}

const results: { found: string[]; scope: string }[] = [];

function compare(found: string[], scope: string): void {
  results.push({ found, scope });
  const listed = reviewed.filter((r) => r.at.startsWith(`${scope}/`)).map((r) => `${r.at} ${r.code}`);
  const unreviewed = found.filter((f) => !listed.includes(f));
  assert.deepEqual(
    unreviewed,
    [],
    `findings not in test/real-code/reviewed.json: read the code, then fix the engine (a false positive) or list the ` +
      'finding with its reason (a true positive)',
  );
  const stale = listed.filter((r) => !found.includes(r));
  assert.deepEqual(stale, [], 'reviewed findings that no longer fire: a true positive was lost, or remove the entry');
}

test('reviewed.json: one entry per finding, each with a reason', () => {
  const keys = reviewed.map((r) => `${r.at} ${r.code}`);
  assert.deepEqual(
    keys.filter((k, i) => keys.indexOf(k) !== i),
    [],
    'entries listed twice',
  );
  for (const r of reviewed) {
    assert.match(r.at, /^(debian|corpus)\/.+:\d+$/, `${r.at}: where is debian/<path>:<line> or corpus/<path>:<line>`);
    assert.match(r.code, /^RG\d{3}$/);
    assert.ok(r.reason.trim().length > 20, `${r.at} ${r.code} needs a reason written after reading the code`);
  }
});

test('PyTorch, torchvision and torchaudio (Debian): every finding is a reviewed true positive', async () => {
  const root = ensureCorpus();
  const { found } = await check(root, 'debian');
  compare(found, 'debian');
});

test('the shared corpus of public model code: every finding is a reviewed true positive', async (t) => {
  if (!fs.existsSync(SHARED_CORPUS)) {
    t.skip(`${SHARED_CORPUS} is absent: the shared corpus is laid beside the checkout (../shared/corpus)`);
    return;
  }
  // One repository at a time, from its root, as its users run `reglens check .`: the corpus keeps no `__init__.py`,
  // so `from allennlp.modules… import …` resolves only from the repository's own folder.
  const found: string[] = [];
  for (const repo of fs.readdirSync(SHARED_CORPUS, { withFileTypes: true }).filter((e) => e.isDirectory()))
    found.push(...(await check(path.join(SHARED_CORPUS, repo.name), `corpus/${repo.name}`)).found);
  compare(found, 'corpus');
});

test('precision per rule (printed)', () => {
  const all = results.flatMap((r) => r.found);
  const listed = new Set(reviewed.map((r) => `${r.at} ${r.code}`));
  const byRule = new Map<string, { findings: number; reviewed: number }>();
  for (const f of all) {
    const code = f.slice(f.lastIndexOf(' ') + 1);
    const entry = byRule.get(code) ?? { findings: 0, reviewed: 0 };
    entry.findings++;
    if (listed.has(f)) entry.reviewed++;
    byRule.set(code, entry);
  }
  const pct = (a: number, b: number) => (b === 0 ? '—' : `${((100 * a) / b).toFixed(0)}%`);
  const lines = [...byRule.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([code, e]) => `${code}: ${e.reviewed} of ${e.findings} findings reviewed true (${pct(e.reviewed, e.findings)})`,
    );
  const reviewedTrue = all.filter((f) => listed.has(f)).length;
  lines.push(
    `all: ${reviewedTrue} of ${all.length} (${pct(reviewedTrue, all.length)}), on ` +
      `${results.map((r) => r.scope).join(' + ')}`,
  );
  console.log(`real-code precision:\n  ${lines.join('\n  ')}`);
});
