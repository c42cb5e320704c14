// The reliability harness (npm run test:stress, and the stress stage of npm test): seeded randomness, the corpus
// of real code the fuzzer mutates, the mutators, and the checks every answer of the server must pass. The
// fuzzing, fix-safety, edit-storm and profiler-fault suites beside this file share it.
//
// Adding a feature to the harness: a new kind of input (a notebook, a workspace of files) is one entry in
// INPUT_KINDS; a new request (document symbols, workspace diagnostics) is one entry in REQUEST_KINDS.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type {
  CodeAction,
  CodeLens,
  Command,
  Diagnostic,
  Hover,
  Position,
  Range,
  TextEdit,
} from 'vscode-languageserver-protocol/node';
import { CodeLensRequest } from 'vscode-languageserver-protocol/node';
import { lintText } from '../../server/engine/analyze';
import { fixText } from '../../server/engine/fixes';
import { RuleSelection } from '../../server/engine/config';
import { ParseLimit, SourceFile, treeErrorCount, type Node } from '../../server/engine/parser';
import type { Finding } from '../../server/engine/types';
import { rules } from '../../server/rules';
import { editsFor, isCodeAction, type TestClient } from '../lsp/client';
import { ensureCorpus, pythonFiles } from '../real-code/corpus';

/** Lines that open a block, for inputs nested hundreds of levels deep. */
const BLOCK_OPENERS = ['if x:', 'for i in y:', 'with z:', 'while a:', 'try:', 'def f(self, x):', 'class C(nn.Module):'];
export const ROOT = path.resolve(__dirname, '..', '..');

/** `npm run test:stress -- --long` (scripts/test.mjs sets REGLENS_STRESS_LONG=1): the long run. */
export const LONG = process.env.REGLENS_STRESS_LONG === '1';

/**
 * Inputs per fuzzing suite. CI: 1,000 through the LSP and 1,000 other ones through the CLI, 2,000 in all, within
 * its time on 2 cores; the long run: 10,000 through each.
 */
export const FUZZ_INPUTS = Number(process.env.REGLENS_STRESS_INPUTS ?? (LONG ? 10_000 : 1_000));

/** REGLENS_STRESS_FROM=N starts a run at input N (with the seed of a failed run, to get to its failure at once). */
export const FIRST_INPUT = Number(process.env.REGLENS_STRESS_FROM ?? 0);

/** The run's seed: REGLENS_STRESS_SEED reproduces a run; otherwise a fresh one, always printed. */
export const SEED =
  process.env.REGLENS_STRESS_SEED !== undefined
    ? Number(process.env.REGLENS_STRESS_SEED) >>> 0
    : (Date.now() ^ (process.pid << 16)) >>> 0;

/** Upper bound for any single answer of the server (it is shared with three other engineers' builds on 2 cores). */
export const ANSWER_BOUND_MS = Number(process.env.REGLENS_STRESS_BOUND_MS ?? 15_000);

/** mulberry32: small, fast, and the same sequence on every machine for a seed. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Every input of a run derives from (seed, index), so one failing input is reproduced without the others. */
export function rngFor(seed: number, index: number): Rng {
  return new Rng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
}

// ---- the corpus -------------------------------------------------------------------------------------------------

export interface CorpusFile {
  /** Relative to the corpus it came from, for messages. */
  name: string;
  text: string;
}

let cachedCorpus: { files: CorpusFile[]; note: string } | undefined;

/**
 * Real code to mutate: the examples, every rule fixture, and PyTorch/torchvision as Debian packages them
 * (.cache/real-code; see test/real-code). Without apt the real code is left out and `note` says so.
 */
export function corpus(): { files: CorpusFile[]; note: string } {
  if (cachedCorpus) return cachedCorpus;
  const files: CorpusFile[] = [];
  for (const dir of ['examples', 'test/rules']) {
    for (const file of pythonFiles(path.join(ROOT, dir)))
      files.push({ name: path.relative(ROOT, file), text: fs.readFileSync(file, 'utf8') });
  }
  let note = '';
  try {
    const root = ensureCorpus();
    for (const file of pythonFiles(root))
      files.push({ name: path.relative(root, file), text: fs.readFileSync(file, 'utf8') });
  } catch (e) {
    note =
      `real-code corpus unavailable (${e instanceof Error ? e.message : String(e)}); fuzzing examples and ` +
      `fixtures only`;
  }
  cachedCorpus = { files, note };
  return cachedCorpus;
}

/** Files a rule fires on: fixtures and examples, where every fix is offered. */
export function ruleFiles(): CorpusFile[] {
  return corpus().files.filter((f) => f.name.startsWith('examples/') || f.name.startsWith('test/rules/'));
}

// ---- mutators ---------------------------------------------------------------------------------------------------

/**
 * A mutation of a text. Most return a string; `bytes` mutators return raw bytes, for the CLI (invalid UTF-8
 * cannot travel in LSP's JSON: the LSP gets the string Node decodes them to, with U+FFFD and lone surrogates).
 */
export interface Mutator {
  name: string;
  apply(text: string, rng: Rng, donor: string): string | Buffer;
}

const SNIPPETS = [
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ':',
  '\n',
  '\n    ',
  '\t',
  '"""',
  "'",
  '#',
  '\\',
  'self.',
  'nn.Dropout(',
  'F.dropout(x, p=0.5',
  'training=',
  'def forward(self, x):\n',
  'class M(nn.Module):\n',
  'return ',
  'lambda',
  '@',
  '*',
  '**',
  ' if ',
  ' else ',
  'import torch\n',
  'é',
  '😀',
  '\u200b',
  '\ufeff',
];

function spliceAt(text: string, at: number, remove: number, insert: string): string {
  return text.slice(0, at) + insert + text.slice(at + remove);
}

export const MUTATORS: readonly Mutator[] = [
  { name: 'truncate', apply: (t, r) => t.slice(0, r.int(t.length + 1)) },
  {
    name: 'delete-spans',
    apply: (t, r) => {
      let out = t;
      for (let i = r.range(1, 4); i > 0 && out.length > 0; i--)
        out = spliceAt(out, r.int(out.length), r.range(1, 200), '');
      return out;
    },
  },
  {
    name: 'insert-snippets',
    apply: (t, r) => {
      let out = t;
      for (let i = r.range(1, 6); i > 0; i--) out = spliceAt(out, r.int(out.length + 1), 0, r.pick(SNIPPETS));
      return out;
    },
  },
  {
    name: 'splice-donor',
    apply: (t, r, donor) => {
      const from = r.int(donor.length + 1);
      return spliceAt(t, r.int(t.length + 1), r.range(0, 100), donor.slice(from, from + r.range(1, 2000)));
    },
  },
  {
    name: 'unbalanced-brackets',
    apply: (t, r) => {
      let out = t;
      for (let i = r.range(1, 8); i > 0; i--) {
        const at = r.int(out.length + 1);
        out = r.chance(0.5)
          ? spliceAt(out, at, 0, r.pick(['(', ')', '[', ']', '{', '}', '((((', ']]]']))
          : out.replace(/[()[\]{}]/, '');
      }
      return out;
    },
  },
  {
    name: 'mixed-indentation',
    apply: (t, r) =>
      t
        .split('\n')
        .map((line) =>
          r.chance(0.3)
            ? line.replace(/^( {4})+/, (m) =>
                r.pick(['\t'.repeat(m.length / 4), `\t${m.slice(4)}`, ` \t${m.slice(2)}`, `${m}\t`]),
              )
            : line,
        )
        .join('\n'),
  },
  {
    name: 'line-endings',
    apply: (t, r) => t.replace(/\n/g, () => r.pick(['\n', '\r\n', '\r', '\n\r'])),
  },
  {
    name: 'very-long-line',
    apply: (t, r) => {
      const n = LONG ? r.range(10_000, 300_000) : r.range(5_000, 60_000);
      const line = r.pick([
        `x = ${'a + '.repeat(n / 4)}b\n`,
        `s = "${'x'.repeat(n)}"\n`,
        `${'y'.repeat(n)} = nn.Dropout(0.1)\n`,
        `# ${'é😀'.repeat(n / 3)}\n`,
        `z = [${'1, '.repeat(n / 3)}]\n`,
      ]);
      const lines = t.split('\n');
      lines.splice(r.int(lines.length + 1), 0, line.replace(/\n$/, ''));
      return lines.join('\n');
    },
  },
  {
    name: 'deep-nesting',
    apply: (t, r) => {
      const depth = r.range(50, 3_000);
      const [open, close] = r.pick([
        ['(', ')'],
        ['[', ']'],
        ['{', '}'],
        ['F.dropout(', ', 0.1)'],
        ['nn.Sequential(', ')'],
        ['-', ''],
        ['not ', ''],
        ['lambda: ', ''],
      ]);
      const expr = `y = ${open.repeat(depth)}x${close.repeat(depth)}\n`;
      const body = r.chance(0.5)
        ? expr
        : `class Deep(nn.Module):\n    def forward(self, x):\n        ${expr}        return y\n`;
      const lines = t.split('\n');
      lines.splice(r.int(lines.length + 1), 0, body);
      return lines.join('\n');
    },
  },
  {
    name: 'deep-blocks',
    apply: (t, r) => {
      const depth = r.range(20, 400);
      let out = 'import torch.nn as nn\n';
      for (let d = 0; d < depth; d++) out += `${' '.repeat(d)}${r.pick(BLOCK_OPENERS)}\n`;
      out += `${' '.repeat(depth)}x = nn.Dropout(0.5)(x)\n`;
      return r.chance(0.5) ? out : `${t}\n${out}`;
    },
  },
  {
    name: 'nul-bytes',
    apply: (t, r) => {
      let out = t;
      for (let i = r.range(1, 5); i > 0; i--) out = spliceAt(out, r.int(out.length + 1), 0, '\0'.repeat(r.range(1, 3)));
      return out;
    },
  },
  {
    name: 'lone-surrogates',
    apply: (t, r) => {
      let out = t;
      for (let i = r.range(1, 5); i > 0; i--)
        out = spliceAt(
          out,
          r.int(out.length + 1),
          0,
          r.pick(['\ud800', '\udfff', '\ufffd', '\udc00x\ud83d', '😀'.slice(0, 1)]),
        );
      return out;
    },
  },
  {
    name: 'invalid-utf8',
    apply: (t, r) => {
      let bytes = Buffer.from(t, 'utf8');
      for (let i = r.range(1, 6); i > 0; i--) {
        const at = r.int(bytes.length + 1);
        const bad = Buffer.from(
          r.pick([[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80, 0x80], [0xe2, 0x82]]),
        );
        bytes = Buffer.concat([bytes.subarray(0, at), bad, bytes.subarray(at)]);
      }
      return bytes;
    },
  },
  {
    name: 'duplicate-block',
    apply: (t, r) => {
      const lines = t.split('\n');
      const from = r.int(lines.length);
      const block = lines.slice(from, from + r.range(1, 40));
      lines.splice(r.int(lines.length + 1), 0, ...block);
      return lines.join('\n');
    },
  },
];

/** Mutators whose result is a string; what the LSP can carry. */
export const TEXT_MUTATORS = MUTATORS.filter((m) => m.name !== 'invalid-utf8');

export interface FuzzInput {
  index: number;
  /** Source file and the mutators applied, so a failure names what produced it. */
  label: string;
  content: string | Buffer;
}

/** One input: a corpus file, 1–3 mutators (mostly one), reproducible from (seed, index). */
export function makeInput(seed: number, index: number, mutators: readonly Mutator[] = MUTATORS): FuzzInput {
  const rng = rngFor(seed, index);
  const files = corpus().files;
  // Rule fixtures are small and full of findings (fixes, lenses, hovers); weight them up against the 1,300 torch files.
  const pool = rng.chance(0.4) ? ruleFiles() : files;
  const source = rng.pick(pool);
  const donor = rng.pick(files).text;
  // CI mutates a window of up to 6,000 characters (whole lines) of the file, so that 2,000 inputs fit its time;
  // the long run takes whole files.
  let content: string | Buffer = LONG ? source.text : lineWindow(source.text, 6000, rng);
  const applied: string[] = [];
  for (let i = rng.chance(0.7) ? 1 : rng.range(2, 3); i > 0; i--) {
    const mutator = rng.pick(mutators);
    applied.push(mutator.name);
    content = mutator.apply(typeof content === 'string' ? content : content.toString('utf8'), rng, donor);
  }
  return { index, label: `#${index} ${source.name} [${applied.join(', ')}]`, content };
}

function lineWindow(text: string, size: number, rng: Rng): string {
  if (text.length <= size) return text;
  let start = rng.int(text.length - size);
  start = start === 0 ? 0 : text.indexOf('\n', start) + 1;
  const end = text.lastIndexOf('\n', start + size);
  return text.slice(start, end > start ? end + 1 : start + size);
}

/** The 10 MB file: valid Python (real torch code repeated), over the 8 MB analysis limit. */
export function tenMegabytes(): string {
  const unit = ruleFiles()
    .map((f) => f.text)
    .join('\n');
  return unit.repeat(Math.ceil((10 * 1024 * 1024) / Buffer.byteLength(unit))).slice(0, 10 * 1024 * 1024);
}

// ---- inputs and requests ---------------------------------------------------------------------------------------

/** The kinds of document the server is fuzzed with, in turn: a Python file, or a notebook of the input in cells. */
export interface InputKind {
  name: string;
  uri(dir: string, index: number): string;
  /** A notebook: the input is cut into cells (notebookDocument sync); otherwise one text document. */
  cells: boolean;
}

export const INPUT_KINDS: readonly InputKind[] = [
  { name: 'python file', uri: (dir, i) => `file://${dir}/input_${i}.py`, cells: false },
  { name: 'notebook', uri: (dir, i) => `file://${dir}/input_${i}.ipynb`, cells: true },
];

/**
 * The input cut into 1 to 6 cells at line breaks, as a user splits a script into a notebook; sometimes a markdown
 * cell among them and an IPython magic at the top of a code cell, which the server must blank, not parse.
 */
export function notebookCells(text: string, rng: Rng): Array<{ kind: 'code' | 'markdown'; text: string }> {
  const breaks: number[] = [];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') breaks.push(i + 1);
  const cuts = [...new Set(Array.from({ length: rng.int(6) }, () => (breaks.length > 0 ? rng.pick(breaks) : 0)))]
    .filter((c) => c > 0 && c < text.length)
    .sort((a, b) => a - b);
  const cells: Array<{ kind: 'code' | 'markdown'; text: string }> = [];
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    // Jupyter keeps no line break at the end of a cell; the server joins cells with one.
    let piece = text.slice(from, cut);
    if (piece.endsWith('\n') && !piece.endsWith('\r\n')) piece = piece.slice(0, -1);
    cells.push({ kind: 'code', text: rng.chance(0.15) ? `%matplotlib inline\n${piece}` : piece });
    from = cut;
  }
  if (rng.chance(0.3))
    cells.splice(rng.int(cells.length + 1), 0, { kind: 'markdown', text: '# Notes\n\nSome *markdown* with `code`.' });
  return cells;
}

/** What a request returned that must lie inside the document: ranges of diagnostics, edits, lenses, hovers. */
export interface Located {
  what: string;
  range: Range;
}

/** A request the fuzzer sends after every input; `located` lists every range of its answer. */
export interface RequestKind {
  name: string;
  send(client: TestClient, uri: string, text: string, diagnostics: Diagnostic[], rng: Rng): Promise<Located[]>;
}

function randomPosition(text: string, rng: Rng): Position {
  const lines = lspLines(text);
  const line = rng.int(lines.length);
  return { line, character: rng.int(lines[line] + 1) };
}

function actionRanges(uri: string, actions: (Command | CodeAction)[] | null, what: string): Located[] {
  const out: Located[] = [];
  for (const action of actions ?? []) {
    if (!isCodeAction(action)) continue;
    for (const edit of editsFor(action.edit, uri) as TextEdit[])
      out.push({ what: `${what} "${action.title}" edit`, range: edit.range });
    for (const d of action.diagnostics ?? [])
      out.push({ what: `${what} "${action.title}" diagnostic`, range: d.range });
  }
  return out;
}

export const REQUEST_KINDS: readonly RequestKind[] = [
  {
    name: 'quick fixes',
    async send(client, uri, text, diagnostics, rng) {
      const some = diagnostics.length > 0 ? [rng.pick(diagnostics)] : [];
      const range = some[0]?.range ?? { start: randomPosition(text, rng), end: randomPosition(text, rng) };
      return actionRanges(
        uri,
        await client.codeActions(uri, range, some, rng.chance(0.5) ? undefined : ['quickfix']),
        'quick fix',
      );
    },
  },
  {
    name: 'fix all',
    async send(client, uri, _text, diagnostics) {
      return actionRanges(
        uri,
        await client.codeActions(
          uri,
          { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
          diagnostics,
          ['source.fixAll'],
        ),
        'fix all',
      );
    },
  },
  {
    name: 'hover',
    async send(client, uri, text, diagnostics, rng) {
      const at =
        diagnostics.length > 0 && rng.chance(0.5) ? rng.pick(diagnostics).range.start : randomPosition(text, rng);
      const hover: Hover | null = await client.hover(uri, at);
      return hover?.range ? [{ what: 'hover', range: hover.range }] : [];
    },
  },
  {
    name: 'code lens',
    async send(client, uri) {
      const lenses: CodeLens[] | null = await client.connection.sendRequest(CodeLensRequest.type, {
        textDocument: { uri },
      });
      for (const lens of lenses ?? [])
        if (!lens.command?.title) throw new Error(`a code lens without a title: ${JSON.stringify(lens)}`);
      return (lenses ?? []).map((l) => ({ what: `code lens "${l.command?.title}"`, range: l.range }));
    },
  },
];

// ---- checks ------------------------------------------------------------------------------------------------------

/**
 * Statements that hold other statements: an edit elsewhere in one of them is not an edit of the finding's statement.
 */
const COMPOUND = new Set([
  'if_statement',
  'for_statement',
  'while_statement',
  'with_statement',
  'try_statement',
  'match_statement',
  'function_definition',
  'class_definition',
  'decorated_definition',
  'block',
  'module',
]);

/** The innermost simple statement (`x = …`, `return …`) around a node, or null inside a compound statement's head. */
function simpleStatement(node: Node | null): Node | null {
  for (let n = node; n; n = n.parent) {
    if (COMPOUND.has(n.type)) return null;
    if (n.type.endsWith('_statement')) return n;
  }
  return null;
}

function insideError(node: Node | null): boolean {
  for (let n = node; n; n = n.parent) if (n.type === 'ERROR' || n.isMissing) return true;
  return false;
}

/**
 * Is every edit of a finding's fix an edit of the expression the finding names? An edit is anchored when it overlaps
 * or touches (an insertion at its end) the finding's range or a range its message names by line (`mentions`: the
 * softmax RG009 moves a dropout onto, the default RG004 turns on), or lies inside the innermost simple statement
 * (`x = F.dropout(x, p)`, `self.drop = nn.Dropout(p)`) around one of them, or inserts new statements right after that
 * statement (at the end of its last line, past a comment). Declarations are allowed too: an edit that removes no
 * text and inserts only `self.<name> = …` statements for names the anchored edits read (RG002 creates the dropout it
 * applies), or that removes only a `self.<name> = …` statement whose name the anchored edits stop reading (RG010
 * removes the dropout it unwraps). Any other edit (another statement, another method, the head of an enclosing `if`)
 * is not an edit of what the finding names, and is reported.
 */
export function unanchoredEdits(file: SourceFile, finding: Finding): string[] {
  const targets = [finding.range, ...(finding.mentions ?? [])].map((r) => {
    const start = file.offsetAt(r.start);
    const end = file.offsetAt(r.end);
    const node = file.root.descendantForIndex(start, Math.max(start, end - 1));
    const stmt = simpleStatement(node);
    // In a tree with a syntax error around it (the analyzer read that part from a repaired copy), the statement is
    // the finding's own lines.
    const lines = {
      startIndex: file.offsetAt({ line: r.start.line, character: 0 }),
      endIndex: file.offsetAt({ line: r.end.line + 1, character: 0 }),
    };
    return { start, end, stmt: stmt ?? (insideError(node) ? lines : null) };
  });
  const edits = (finding.fix?.edits ?? []).map((e) => ({
    edit: e,
    start: file.offsetAt(e.range.start),
    end: file.offsetAt(e.range.end),
  }));
  const lineEnd = (offset: number) => {
    const nl = file.text.slice(offset).search(/[\r\n]/);
    return nl < 0 ? file.text.length : offset + nl;
  };
  const anchored = edits.map(({ start: s, end: t, edit }) =>
    targets.some(
      ({ start, end, stmt }) =>
        (s <= end && start <= t) ||
        (stmt !== null && stmt.startIndex <= s && t <= stmt.endIndex) ||
        (stmt !== null &&
          s === t &&
          /^\r?\n/.test(edit.newText) &&
          s === lineEnd(stmt.endIndex) &&
          /^\s*(#.*)?$/.test(file.text.slice(stmt.endIndex, s))),
    ),
  );
  const kept = edits.filter((_, i) => anchored[i]);
  // Names as tree-sitter reads them: `self.\uFFFD\uFFFDdrop` (invalid UTF-8 read with replacement characters) is
  // `self.drop` with an ERROR node inside, the submodule whose declaration a fix may remove.
  const asRead = (text: string) => text.replaceAll('\uFFFD', '');
  const readAfter = asRead(kept.map((e) => e.edit.newText).join('\n'));
  const readBefore = asRead(kept.map((e) => file.text.slice(e.start, e.end)).join('\n'));
  const assigned = (text: string) => {
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
    const names = lines.map((l) => /^\s*(\w+\.\w+)\s*=[^=]/.exec(l)?.[1]);
    return lines.length > 0 && names.every((n) => n !== undefined) ? (names as string[]) : null;
  };
  const out: string[] = [];
  edits.forEach(({ edit, start, end }, i) => {
    if (anchored[i]) return;
    const inserted = start === end ? assigned(edit.newText) : null;
    const removed = edit.newText === '' ? assigned(file.text.slice(start, end)) : null;
    const declaration =
      inserted?.every((n) => readAfter.includes(n)) ||
      removed?.every((n) => readBefore.includes(n) && !readAfter.includes(n));
    if (!declaration)
      out.push(
        `edit at ${edit.range.start.line + 1}:${edit.range.start.character + 1} (${JSON.stringify(edit.newText)})`,
      );
  });
  return out;
}

export interface FileFixCheck {
  /** Findings with a fix (safe or unsafe) in the text. */
  fixable: number;
  /** Fixes the first `--fix --unsafe-fixes` pass applied. */
  applied: number;
  /** The text was skipped as the engine skips it (over the parse limits). */
  skipped: boolean;
  problems: string[];
}

const ALL_RULES = new RuleSelection({});

function syntaxErrors(text: string): number {
  const file = new SourceFile(text);
  try {
    return treeErrorCount(file.tree);
  } finally {
    file.dispose();
  }
}

/**
 * What `reglens check --fix --unsafe-fixes` run twice must keep, checked through the engine (`fixText`, as the CLI
 * and the LSP's fix-all): the first run adds no syntax error, the second changes nothing, and every fix edits the
 * expression its finding names (`unanchoredEdits`). `name` labels the problems.
 */
export function checkFileFixes(name: string, text: string): FileFixCheck {
  const result: FileFixCheck = { fixable: 0, applied: 0, skipped: false, problems: [] };
  let findings: Finding[];
  let file: SourceFile;
  try {
    findings = lintText(rules, text, ALL_RULES).filter((f) => f.fix);
    if (findings.length === 0) return result;
    file = new SourceFile(text);
  } catch (e) {
    if (!(e instanceof ParseLimit)) throw e;
    result.skipped = true;
    return result;
  }
  result.fixable = findings.length;
  let before: number;
  try {
    before = treeErrorCount(file.tree);
    for (const f of findings) {
      const stray = unanchoredEdits(file, f);
      if (stray.length > 0)
        result.problems.push(
          `${name}:${f.range.start.line + 1} ${f.code} "${f.fix!.title}": ${stray.join(', ')} is outside the ` +
            `finding's ranges and statements`,
        );
    }
  } finally {
    file.dispose();
  }
  const once = fixText(rules, text, ALL_RULES, { unsafe: true });
  for (const n of once.applied.values()) result.applied += n;
  const after = syntaxErrors(once.text);
  if (after > before)
    result.problems.push(
      `${name}: --fix --unsafe-fixes adds syntax errors (${before} before, ${after} after; ` +
        `${[...once.applied.keys()].join(', ')})`,
    );
  const twice = fixText(rules, once.text, ALL_RULES, { unsafe: true });
  if (twice.text !== once.text)
    result.problems.push(
      `${name}: a second --fix --unsafe-fixes changed the text again (${[...twice.applied.entries()]
        .map(([code, n]) => `${code} ×${n}`)
        .join(', ')})`,
    );
  return result;
}

/** Lengths (UTF-16 code units) of the text's lines, split as LSP splits them: \n, \r\n or a lone \r. */
export function lspLines(text: string): number[] {
  return text.split(/\r\n|\r|\n/).map((l) => l.length);
}

/** Every range lies inside the document and starts before it ends; the problems, one line each. */
export function outsideDocument(text: string, located: readonly Located[]): string[] {
  const lines = lspLines(text);
  const inside = (p: Position): boolean =>
    Number.isInteger(p.line) &&
    Number.isInteger(p.character) &&
    p.line >= 0 &&
    p.line < lines.length &&
    p.character >= 0 &&
    p.character <= lines[p.line];
  const problems: string[] = [];
  for (const { what, range } of located) {
    if (!range || !inside(range.start) || !inside(range.end))
      problems.push(`${what}: ${JSON.stringify(range)} is outside the document (${lines.length} lines)`);
    else if (
      range.start.line > range.end.line ||
      (range.start.line === range.end.line && range.start.character > range.end.character)
    )
      problems.push(`${what}: ${JSON.stringify(range)} ends before it starts`);
  }
  return problems;
}

/** Resolves with the answer, or rejects naming the request when it takes longer than ANSWER_BOUND_MS. */
export async function bounded<T>(
  what: string,
  promise: Promise<T>,
  latencies?: number[],
  boundMs = ANSWER_BOUND_MS,
): Promise<T> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${boundMs} ms`)), boundMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
    latencies?.push(performance.now() - started);
  }
}

/** "p50 12 ms, p99 80 ms, max 230 ms (n=2000)". */
export function latencySummary(samples: readonly number[]): string {
  if (samples.length === 0) return 'no samples';
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(0);
  return `p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${sorted[sorted.length - 1].toFixed(0)} ms (n=${samples.length})`;
}

/** Writes a failing input where the developer can find it, and says how to keep it as a regression fixture. */
export function keepFailure(input: FuzzInput, why: string): string {
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'reglens-fuzz-failure-'));
  const file = path.join(dir, `input_${input.index}.py`);
  fs.writeFileSync(file, input.content);
  return (
    `${input.label}: ${why}\n  input written to ${file} (seed ${SEED}); after fixing, copy it to ` +
    `test/stress/regressions/`
  );
}

/** Inputs that once failed (test/stress/regressions/): every run sends them first, through the LSP and the CLI. */
export function regressionInputs(): FuzzInput[] {
  const dir = path.join(__dirname, 'regressions');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => !f.endsWith('.md'))
    .sort()
    .map((f, i) => ({ index: -1 - i, label: `regression ${f}`, content: fs.readFileSync(path.join(dir, f)) }));
}
