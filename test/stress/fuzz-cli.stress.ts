// Fuzzing `reglens check`: the mutated inputs (as raw bytes: invalid UTF-8 included) written to a folder and
// checked by the real CLI, with and without --fix, and silenced with --add-noqa, next to files that cannot be read
// or are not text. The CLI must finish, say what it skipped and why, and report only positions inside the files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { BLOCK } from '../lsp/fixtures';
import {
  corpus,
  FIRST_INPUT,
  FUZZ_INPUTS,
  lspLines,
  makeInput,
  MUTATORS,
  regressionInputs,
  ROOT,
  SEED,
  tenMegabytes,
} from './harness';

const CLI = path.join(ROOT, 'bin', 'reglens.js');
const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-fuzz-cli-')));

after(() => fs.rmSync(dir, { recursive: true, force: true }));

interface JsonDiagnostic {
  path: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  code: string;
  fix: { edits: { line: number; column: number; endLine: number; endColumn: number }[] } | null;
}

function check(
  args: string[],
  timeoutMs = 240_000,
): { status: number | null; stdout: string; stderr: string; ms: number } {
  const started = performance.now();
  const result = spawnSync(process.execPath, [CLI, 'check', ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 512 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, ms: performance.now() - started };
}

/** The files a run's warnings say it did not check. */
function skippedFiles(stderr: string): Set<string> {
  return new Set(Array.from(stderr.matchAll(/^warning: (.+?): not checked: /gm), (m) => m[1]));
}

/** How many carets labelled with a code the full format draws under each file's findings, by file. */
function carets(stdout: string, keep: (file: string) => boolean): Record<string, number> {
  let file = '';
  const out: string[] = [];
  for (const line of stdout.split('\n')) {
    const header = /^(.+?):\d+:\d+: RG\d{3} /.exec(line);
    if (header) file = header[1];
    else if (/^ +\| .*\^+ RG\d{3}$/.test(line) && keep(file)) out.push(file);
  }
  return countsByFile(out);
}

function countsByFile(files: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of files) out[f] = (out[f] ?? 0) + 1;
  return out;
}

/** `RG000 ×3, RG006 ×1` for keys ending in their code. */
function codeCounts(keys: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const k of keys) {
    const code = k.slice(k.lastIndexOf(' ') + 1);
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  return (
    [...counts]
      .sort()
      .map(([code, n]) => `${code} ×${n}`)
      .join(', ') || 'none'
  );
}

/** The file's text as the CLI reads it (UTF-8 with replacement characters, BOM dropped). */
function textOf(file: string): string {
  const text = fs.readFileSync(file).toString('utf8');
  return text.startsWith('\ufeff') ? text.slice(1) : text;
}

function positionsOutside(diagnostics: JsonDiagnostic[], base: string): string[] {
  const problems: string[] = [];
  const texts = new Map<string, number[]>();
  for (const d of diagnostics) {
    const file = path.resolve(base, d.path);
    if (!texts.has(file)) texts.set(file, lspLines(textOf(file)));
    const lines = texts.get(file)!;
    // 1-based lines and columns; a column may point one past the line's last character.
    const inside = (line: number, column: number) =>
      line >= 1 && line <= lines.length && column >= 1 && column <= lines[line - 1] + 1;
    const spans = [
      { what: d.code, line: d.line, column: d.column, endLine: d.endLine, endColumn: d.endColumn },
      ...(d.fix?.edits ?? []).map((e) => ({ what: `${d.code} fix edit`, ...e })),
    ];
    for (const s of spans)
      if (!inside(s.line, s.column) || !inside(s.endLine, s.endColumn))
        problems.push(
          `${d.path}: ${s.what} at ${s.line}:${s.column}-${s.endLine}:${s.endColumn} is outside the file ` +
            `(${lines.length} lines)`,
        );
  }
  return problems;
}

test(`fuzzing the CLI: ${FUZZ_INPUTS} mutated files as bytes, checked and fixed without a crash`, {
  timeout: 20 * 60_000,
}, (t) => {
  const { files, note } = corpus();
  const inputs = path.join(dir, 'inputs');
  fs.mkdirSync(inputs);
  const all = [
    ...regressionInputs(),
    ...Array.from({ length: FUZZ_INPUTS }, (_, i) => makeInput(SEED, FIRST_INPUT + FUZZ_INPUTS + i, MUTATORS)),
  ];
  const labels = new Map<string, string>();
  for (const input of all) {
    const name = input.index < 0 ? `regression_${-input.index}.py` : `input_${input.index}.py`;
    labels.set(name, input.label);
    fs.writeFileSync(path.join(inputs, name), input.content);
  }
  const header =
    `seed ${SEED} (REGLENS_STRESS_SEED=${SEED} reproduces it); ${all.length} files ` +
    `(${all.length - FUZZ_INPUTS} regression fixtures) from ${files.length}${note ? `; ${note}` : ''}`;
  console.log(`fuzz-cli: ${header}`);

  // One invocation checks every file: its bound grows with their number (about 20 ms a file here, the long run's
  // 10,000 files included), so the bound catches a hang, not a large run.
  const bound = Math.max(240_000, all.length * 60);
  const run = check(['inputs', '--format', 'json'], bound);
  assert.notEqual(run.status, null, `reglens check did not finish within its time: ${run.stderr.slice(-2000)}`);
  assert.ok([0, 1].includes(run.status!), `exit status ${run.status}: ${run.stderr.slice(-3000)}`);
  assert.doesNotMatch(run.stderr, /internal error|uncaught|TypeError|RangeError/i);
  const report = JSON.parse(run.stdout) as { diagnostics: JsonDiagnostic[] };
  assert.deepEqual(positionsOutside(report.diagnostics, dir), []);
  // Mutated real model code still has findings: none at all means files were lost, not checked (a file the
  // workspace index could not parse once took every later file down with it).
  assert.ok(report.diagnostics.length > 0, `no findings in ${all.length} mutated files: ${run.stderr.slice(-2000)}`);
  const skipped = run.stderr.split('\n').filter((l) => l.startsWith('warning:'));
  for (const line of skipped)
    assert.match(
      line,
      /not checked: (binary file|larger than|tree-sitter could not parse|it is nested)/,
      `each skipped file says why: ${line}`,
    );

  // The full format shows every finding in its code: one underlined range, labelled with its code, each.
  const shown = check(['inputs', '--output-format', 'full'], bound);
  assert.equal(shown.status, run.status, shown.stderr.slice(-2000));
  assert.doesNotMatch(shown.stderr, /internal error|uncaught|TypeError|RangeError/i);
  // A file at tree-sitter's time limit may be parsed in one run and not in the other (under load): compared are the
  // files both runs checked.
  const unparsed = new Set([...skippedFiles(run.stderr), ...skippedFiles(shown.stderr)]);
  const parsedInBoth = (file: string) => !unparsed.has(file);
  assert.deepEqual(
    carets(shown.stdout, parsedInBoth),
    countsByFile(report.diagnostics.map((d) => d.path).filter(parsedInBoth)),
    'each finding of --output-format full has its carets',
  );

  // `--add-noqa` on a copy: every finding it does not report as left is silenced, so a check afterwards reports
  // exactly what it left (no new stale directive among them: each one it wrote silences a finding), and a second
  // run adds nothing.
  fs.cpSync(inputs, path.join(dir, 'silenced'), { recursive: true });
  const silenced = check(['silenced', '--add-noqa', '--format', 'json'], bound);
  assert.ok([0, 1].includes(silenced.status!), `--add-noqa exit status ${silenced.status}: ${silenced.stderr}`);
  assert.doesNotMatch(silenced.stderr, /internal error|uncaught|TypeError|RangeError/i);
  const keys = (stdout: string) =>
    (JSON.parse(stdout) as { diagnostics: JsonDiagnostic[] }).diagnostics.map(
      (d) => `${d.path}:${d.line}:${d.column} ${d.code}`,
    );
  const left = keys(silenced.stdout);
  const afterRun = check(['silenced', '--format', 'json'], bound);
  const after = keys(afterRun.stdout);
  // Stale directives the inputs had (the examples show one) stay, and may read differently once a code is added to
  // them (`# noqa: RG006` unused as a whole, then `RG006` in `# noqa: RG006, RG010`); none is on a new line.
  const stale = (list: string[]) => list.filter((k) => k.endsWith(' RG100'));
  const lineOf = (k: string) => k.replace(/^inputs\//, 'silenced/').replace(/:\d+ RG100$/, '');
  const staleBefore = new Set(stale(keys(run.stdout)).map(lineOf));
  assert.deepEqual(
    stale(after).filter((k) => !staleBefore.has(lineOf(k))),
    [],
    'a directive --add-noqa wrote silences nothing',
  );
  // A file's syntax error stays, but where tree-sitter's recovery first reports it may move once a comment is added
  // (seed 717428076: line 8, then line 1): RG000 is compared by file. A file whose parse runs out of its time in
  // either run is not checked there (seed 1990289517: a 32 KB file parsed in 0.9 s, then over its 1 s on a busier
  // machine), so it is compared only where both runs checked it.
  const notChecked = new Set(
    [silenced.stderr, afterRun.stderr].flatMap((err) =>
      [...err.matchAll(/^warning: (silenced\/[^:]+): not checked:/gm)].map((m) => m[1]),
    ),
  );
  const comparable = (list: string[]) =>
    list
      .filter((k) => !k.endsWith(' RG100') && !notChecked.has(k.split(':')[0].split(' ')[0]))
      .map((k) => (k.endsWith(' RG000') ? k.replace(/:\d+:\d+ /, ' ') : k));
  assert.deepEqual(comparable(after), comparable(left));
  // A second run adds nothing, except to a file the first left unchecked because its parse ran out of time.
  const silencedDir = path.join(dir, 'silenced');
  const snapshot = new Map(fs.readdirSync(silencedDir).map((f) => [f, fs.readFileSync(path.join(silencedDir, f))]));
  const again = check(['silenced', '--add-noqa', '--format', 'json'], bound);
  const changed = [...snapshot].filter(([f, bytes]) => !fs.readFileSync(path.join(silencedDir, f)).equals(bytes));
  assert.deepEqual(
    changed.map(([f]) => `silenced/${f}`).filter((f) => !notChecked.has(f)),
    [],
    `a second --add-noqa adds nothing: ${again.stderr.slice(-500)}`,
  );
  const directives = /^Added (\d+) `# noqa` directives? to (\d+) files?\./m.exec(silenced.stderr);

  // Every fix, safe and unsafe, applied in place: still no crash, and the fixed files report only positions inside
  // them.
  const fixed = check(['inputs', '--fix', '--unsafe-fixes', '--format', 'json'], bound);
  assert.ok([0, 1].includes(fixed.status!), `--fix exit status ${fixed.status}: ${fixed.stderr.slice(-3000)}`);
  assert.doesNotMatch(fixed.stderr, /internal error|uncaught|TypeError|RangeError/i);
  assert.deepEqual(
    positionsOutside((JSON.parse(fixed.stdout) as { diagnostics: JsonDiagnostic[] }).diagnostics, dir),
    [],
  );

  const summary =
    `fuzz-cli: ${all.length} files checked in ${(run.ms / 1000).toFixed(1)} s ` +
    `(${report.diagnostics.length} findings, ${skipped.length} skipped with a reason), fixed in ` +
    `${(fixed.ms / 1000).toFixed(1)} s; --add-noqa wrote ${directives?.[1] ?? 0} directives in ` +
    `${directives?.[2] ?? 0} files, ${left.length} findings left (${codeCounts(left)}); seed ${SEED}`;
  console.log(summary);
  t.diagnostic(summary);
  // Inputs FUZZ_INPUTS… of the seed: other ones than the LSP fuzzer's, so CI fuzzes 2,000 different inputs in all.
  assert.ok(
    all.length >= 1000 || process.env.REGLENS_STRESS_INPUTS !== undefined,
    `CI checks at least 1,000 files, checked ${all.length}`,
  );
});

test('files the CLI cannot read or should not read: each named with the reason, the rest still checked', {
  timeout: 5 * 60_000,
}, () => {
  const odd = path.join(dir, 'odd');
  fs.mkdirSync(odd);
  fs.writeFileSync(path.join(odd, 'model.py'), BLOCK);
  fs.writeFileSync(
    path.join(odd, 'binary.py'),
    Buffer.concat([Buffer.from('import torch\n'), Buffer.from([0, 1, 2, 0xff, 0xfe])]),
  );
  // Not UTF-8: read with replacement characters, as Ruff does, and checked.
  fs.writeFileSync(path.join(odd, 'latin1.py'), Buffer.from(`# caf\xe9 cr\xe8me\n${BLOCK}`, 'latin1'));
  fs.writeFileSync(path.join(odd, 'ten_megabytes.py'), tenMegabytes());
  fs.symlinkSync(path.join(odd, 'missing-target.py'), path.join(odd, 'dangling.py'));
  fs.mkdirSync(path.join(odd, 'folder.py'));
  const fifo = path.join(odd, 'fifo.py');
  const hasFifo = spawnSync('mkfifo', [fifo]).status === 0;
  const named = [
    'odd/model.py',
    'odd/binary.py',
    'odd/latin1.py',
    'odd/ten_megabytes.py',
    'odd/dangling.py',
    ...(hasFifo ? ['odd/fifo.py'] : []),
  ];
  // Named on the command line (always read) and found in a folder walk.
  for (const args of [named, ['odd']]) {
    const run = check([...args, '--format', 'json'], 60_000);
    assert.notEqual(run.status, null, `reglens check ${args.join(' ')} hung: ${run.stderr}`);
    assert.doesNotMatch(run.stderr, /internal error|uncaught|TypeError/i);
    assert.match(run.stderr, /binary\.py: not checked: binary file/);
    assert.match(run.stderr, /ten_megabytes\.py: not checked: larger than the 8 MB limit/);
    const report = JSON.parse(run.stdout) as { diagnostics: JsonDiagnostic[] };
    assert.deepEqual(report.diagnostics.map((d) => `${path.basename(d.path)} ${d.code}`).sort(), [
      'latin1.py RG006',
      'latin1.py RG007',
      'model.py RG006',
      'model.py RG007',
    ]);
    if (args === named) {
      assert.equal(run.status, 2, 'a named file that cannot be read is an I/O error');
      assert.match(run.stderr, /dangling\.py: .*(no such file|does not exist|not found)/i);
      if (hasFifo) assert.match(run.stderr, /fifo\.py: .*not a regular file/i);
    }
  }
});
