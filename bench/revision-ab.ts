// `npm run bench -- ab [REV]`: this working tree's engine against the engine of REV (default HEAD), both loaded in
// one process and run in turns, one edit or one file each, the order swapped every other turn. On a shared machine
// two runs minutes apart differ by 20% or more, which hides the few percent most changes are worth; taking turns
// gives both sides the same machine. Both sides share one heap, so a collection is paid by the side whose allocation
// triggers it: a side that allocates more still shows it, diluted. Also counts the inputs whose findings differ.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateModelFile } from './model-file';
import { loadTree } from './real-code';
import { fmt, table } from './table';

const ROOT = path.resolve(__dirname, '..');

/** The engine modules a side needs, loaded from its own tree. */
interface Engine {
  initParser(): Promise<void>;
  OpenDocument: new (uri: string, languageId: string, version: number) => EditedDocument;
  RuleSelection: new (options: object) => unknown;
  lintText(rules: unknown, text: string): { code: string }[];
  rules: unknown;
}

interface EditedDocument {
  open(text: string): void;
  applyChange(range: unknown, text: string): void;
  setFindings(findings: unknown[]): void;
  analyzer: { analyze(file: unknown, selection: unknown, workspace: null): unknown[] };
  sourceFile: unknown;
}

function loadEngine(root: string): Engine {
  const from = (module: string) => require(path.join(root, module));
  return {
    ...from('server/engine/parser'),
    ...from('server/lsp/documents'),
    ...from('server/engine/config'),
    ...from('server/engine/analyze'),
    ...from('server/rules'),
  };
}

/**
 * A checkout of `rev` in a temporary folder. Its node_modules links to this tree's, except web-tree-sitter, which is
 * copied: each side then initialises a runtime of its own (the runtime is a per-module singleton).
 */
function checkout(rev: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-ab-'));
  execFileSync('git', ['worktree', 'add', '--detach', '--quiet', dir, rev], { cwd: ROOT, stdio: 'pipe' });
  const modules = path.join(dir, 'node_modules');
  fs.mkdirSync(modules);
  for (const name of fs.readdirSync(path.join(ROOT, 'node_modules'))) {
    const source = path.join(ROOT, 'node_modules', name);
    if (name === 'web-tree-sitter') fs.cpSync(source, path.join(modules, name), { recursive: true });
    else fs.symlinkSync(source, path.join(modules, name));
  }
  return dir;
}

function removeCheckout(dir: string): void {
  execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT, stdio: 'pipe' });
}

const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

/** CPU milliseconds per turn of each side, and the turns whose findings differed. */
interface Turns {
  ms: [number, number];
  turns: number;
  differing: number;
}

/** The language server's edit: one change to the 5,000-line file, then its analysis. */
function editTurns(engines: [Engine, Engine], edits: number): Turns {
  const model = generateModelFile(5000);
  const sides = engines.map((e) => {
    const doc = new e.OpenDocument('file:///bench/model.py', 'python', 1);
    doc.open(model.text);
    const selection = new e.RuleSelection({});
    doc.setFindings(doc.analyzer.analyze(doc.sourceFile, selection, null));
    return { doc, selection };
  });
  const result: Turns = { ms: [0, 0], turns: 0, differing: 0 };
  const warmup = Math.min(200, edits / 4);
  for (let i = 0; i < edits; i++) {
    const point = model.editPoints[(Math.floor(i / 2) * 37) % model.editPoints.length];
    const insert = i % 2 === 0;
    const range = { start: point, end: { line: point.line, character: point.character + (insert ? 0 : 1) } };
    const found: string[] = [];
    for (const k of i % 4 < 2 ? [0, 1] : [1, 0]) {
      const { doc, selection } = sides[k];
      const start = process.cpuUsage();
      doc.applyChange(range, insert ? '_' : '');
      const findings = doc.analyzer.analyze(doc.sourceFile, selection, null);
      doc.setFindings(findings);
      if (i >= warmup) result.ms[k] += cpuMs(start);
      found[k] = JSON.stringify(findings);
    }
    if (i >= warmup) result.turns++;
    if (found[0] !== found[1]) result.differing++;
  }
  return result;
}

/** The CLI's work: every file of ../shared/corpus (the folder the table names) linted once by each side, in turns. */
function fileTurns(engines: [Engine, Engine]): Turns | null {
  const corpus = path.join(ROOT, '..', 'shared', 'corpus');
  if (!fs.existsSync(corpus)) return null;
  const result: Turns = { ms: [0, 0], turns: 0, differing: 0 };
  loadTree([corpus]).files.forEach((file, i) => {
    const found: string[] = [];
    for (const k of i % 2 === 0 ? [0, 1] : [1, 0]) {
      const start = process.cpuUsage();
      const findings = engines[k].lintText(engines[k].rules, file.text);
      result.ms[k] += cpuMs(start);
      found[k] = JSON.stringify(findings);
    }
    result.turns++;
    if (found[0] !== found[1]) result.differing++;
  });
  return result;
}

export async function revisionBenchmark(rev: string): Promise<void> {
  console.log(`(ab) This working tree against ${rev}, in one process, taking turns (CPU time of each turn)`);
  let dir: string;
  try {
    dir = checkout(rev);
  } catch (e) {
    console.log(`    skipped: no checkout of ${rev}: ${(e as { stderr?: Buffer }).stderr?.toString().trim() ?? e}`);
    return;
  }
  try {
    const engines: [Engine, Engine] = [loadEngine(dir), loadEngine(ROOT)];
    for (const e of engines) await e.initParser();
    const rows: (string | number)[][] = [];
    const add = (label: string, t: Turns) =>
      rows.push([
        label,
        t.turns,
        fmt(t.ms[0] / t.turns, 3),
        fmt(t.ms[1] / t.turns, 3),
        `${fmt(t.ms[0] / t.ms[1])}×`,
        t.differing,
      ]);
    add('edit + analysis, 5,000-line file', editTurns(engines, 2000));
    const files = fileTurns(engines);
    if (files) add('lint, ../shared/corpus, per file', files);
    else console.log('    (no ../shared/corpus here: the file part is skipped)');
    console.log(table(['turn', 'turns', `${rev} ms`, 'this tree ms', 'speed-up', 'differing findings'], rows));
  } finally {
    removeCheckout(dir);
  }
}
