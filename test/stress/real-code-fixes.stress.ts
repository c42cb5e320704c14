// Fixes on real code are safe: `reglens check --fix --unsafe-fixes` run twice over every Python file of the shared
// corpus (34 public repositories, ../shared/corpus) and of PyTorch, torchvision and torchaudio as Debian packages
// them (test/real-code). The first run may not add a syntax error, the second must change nothing, and every fix
// must edit the expression its finding names: each edit overlaps or touches the finding's range, or lies inside the
// innermost simple statement around it (harness.ts, `unanchoredEdits`). Then the same check on mutated copies of
// the files that have fixes (the fuzzer's MUTATORS), a bounded number of them. Through the engine, not the CLI.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { initParser } from '../../server/engine/parser';
import { ensureCorpus, pythonFiles } from '../real-code/corpus';
import {
  checkFileFixes,
  LONG,
  MUTATORS,
  regressionInputs,
  ROOT,
  rngFor,
  ruleFiles,
  SEED,
  type CorpusFile,
} from './harness';

process.env.REGLENS_DEBUG = '1';
before(() => initParser());

const sharedCorpus = path.join(ROOT, '..', 'shared', 'corpus');

/**
 * Mutated copies checked: bounded so the stress stage stays within its few minutes on 2 cores (200 take about 40 s
 * there; REGLENS_STRESS_FIX_INPUTS sets another number).
 */
const MUTATED_INPUTS = Number(process.env.REGLENS_STRESS_FIX_INPUTS ?? (LONG ? 2_000 : 200));

/** Files with at least one fix, found by the real-code test for the mutation test to start from. */
const withFixes: CorpusFile[] = [];

function read(root: string, prefix: string): CorpusFile[] {
  return pythonFiles(root).map((file) => ({
    name: `${prefix}/${path.relative(root, file).split(path.sep).join('/')}`,
    text: fs.readFileSync(file, 'utf8'),
  }));
}

function run(t: { diagnostic(message: string): void }, label: string, files: readonly CorpusFile[]): void {
  const started = Date.now();
  let fixable = 0;
  let applied = 0;
  let fixed = 0;
  let skipped = 0;
  const problems: string[] = [];
  for (const source of files) {
    let check: ReturnType<typeof checkFileFixes>;
    try {
      check = checkFileFixes(source.name, source.text);
    } catch (e) {
      problems.push(
        `${source.name}: throws ${e instanceof Error ? (e.stack ?? e.message).split('\n').slice(0, 3).join(' ') : e}`,
      );
      continue;
    }
    if (check.skipped) skipped++;
    if (check.fixable === 0) continue;
    withFixes.push(source);
    fixed++;
    fixable += check.fixable;
    applied += check.applied;
    problems.push(...check.problems);
  }
  const summary =
    `${label}: ${files.length} files, ${fixed} with fixes (${fixable} fixable findings, ${applied} fixes applied by ` +
    `the first run), ${skipped} skipped over the parse limits, ${problems.length} problems, ` +
    `${((Date.now() - started) / 1000).toFixed(1)} s`;
  console.log(summary);
  t.diagnostic(summary);
  assert.deepEqual(problems, []);
}

test('the shared corpus: --fix --unsafe-fixes twice is safe and anchored', { timeout: 10 * 60_000 }, (t) => {
  if (!fs.existsSync(sharedCorpus)) {
    t.skip(`no shared corpus at ${sharedCorpus} (it sits next to the repository on the team's machines)`);
    return;
  }
  run(t, 'shared corpus', read(sharedCorpus, 'corpus'));
});

test('PyTorch, torchvision and torchaudio: --fix --unsafe-fixes twice is safe and anchored', {
  timeout: 10 * 60_000,
}, (t) => {
  let root: string;
  try {
    root = ensureCorpus();
  } catch (e) {
    t.skip(`the Debian sources are unavailable: ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  run(t, 'debian', read(root, 'debian'));
});

test('mutated copies of files with fixes: the same check', { timeout: 10 * 60_000 }, (t) => {
  // Half from the real files that have fixes (few, and large), half from the rule fixtures and examples (small, and
  // full of fixes), so the run sees many fixes on broken code within its bound.
  const real = [...withFixes].sort((a, b) => (a.name < b.name ? -1 : 1));
  const fixtures = ruleFiles();
  // The inputs that once failed (test/stress/regressions/) come first, as in the fuzz suites.
  const inputs: CorpusFile[] = regressionInputs().map((r) => ({ name: r.label, text: r.content.toString('utf8') }));
  for (let i = 0; i < MUTATED_INPUTS; i++) {
    const rng = rngFor(SEED, i);
    const sources = real.length > 0 && rng.chance(0.5) ? real : fixtures;
    const source = rng.pick(sources);
    const donor = rng.pick(sources).text;
    let content: string | Buffer = source.text;
    const applied: string[] = [];
    for (let n = rng.chance(0.7) ? 1 : rng.range(2, 3); n > 0; n--) {
      const mutator = rng.pick(MUTATORS);
      applied.push(mutator.name);
      content = mutator.apply(typeof content === 'string' ? content : content.toString('utf8'), rng, donor);
    }
    const text = typeof content === 'string' ? content : content.toString('utf8');
    inputs.push({ name: `#${i} ${source.name} [${applied.join(', ')}] (seed ${SEED})`, text });
  }
  // As a user runs it: a rule that throws on broken code loses that statement's findings (the analyzer's guard)
  // instead of failing the run. The fuzz suites check that nothing crashes; this one checks the fixes.
  delete process.env.REGLENS_DEBUG;
  try {
    run(t, `mutated copies (seed ${SEED}; REGLENS_STRESS_SEED reproduces)`, inputs);
  } finally {
    process.env.REGLENS_DEBUG = '1';
  }
});
