// The document pipeline both front ends share: a path or a buffer is read into a `Document` (decoded, checked for
// size and binary content, a notebook split into its code cells), analysed, fixed, and written back. The CLI's
// `check` and `profile` and the language server's workspace check read files only through here, so a file is
// skipped for the same reason, in the same words, wherever it is read.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { Analyzer, mayHaveFindings, MAX_FILE_BYTES } from '../engine/analyze';
import { applyEdits, fixText } from '../engine/fixes';
import { noqaDirectives } from '../engine/noqa';
import type { RuleSelection } from '../engine/config';
import {
  findingsInCells,
  fixNotebook,
  NotebookText,
  parseNotebook,
  serializeNotebook,
  type NotebookFile,
} from '../engine/notebook';
import { initParser, SourceFile } from '../engine/parser';
import type { Rule } from '../engine/rule';
import type { WorkspaceScope } from '../engine/scope';
import { syntaxErrorFinding } from '../engine/syntax-errors';
import type { Finding, TextEdit } from '../engine/types';
import { describeFsError } from './files';

/** Bytes inspected for a NUL to decide that a file is binary, as git does. */
const BINARY_SNIFF_BYTES = 8192;
const BOM = '\ufeff';

/**
 * A notebook's file is mostly outputs (images, tables): the size limit applies to its joined code cells, checked
 * once it is parsed; the file itself may be this large.
 */
const MAX_NOTEBOOK_FILE_BYTES = 256 * 1024 * 1024;

/** What the reader does with the file, for the reasons it gives: "not checked", "not profiled". */
export type Verb = 'checked' | 'profiled';

/** A file's text as read, and what is analysed: the text itself, or a notebook's code cells joined in order. */
export type Document =
  | { kind: 'python'; text: string; bom: boolean }
  | { kind: 'notebook'; text: string; bom: boolean; notebook: NotebookFile; cells: NotebookText };

/** A document, or why there is none: `skip` (a warning: binary, too large, another language), `error` (unreadable). */
export type ReadResult = { document: Document } | { skip: string } | { error: string };

export function isNotebookPath(file: string): boolean {
  return /\.ipynb$/i.test(file);
}

/** The text that is analysed: a notebook's code cells joined, or the file's text. */
export function analysedText(document: Document): string {
  return document.kind === 'notebook' ? document.cells.text : document.text;
}

/** Reads a file; a FIFO or device would block the read forever, and a file over the limit is not even read. */
export function readDocument(absolute: string, display: string, verb: Verb = 'checked'): ReadResult {
  try {
    const stat = fs.statSync(absolute);
    if (!stat.isFile()) return { error: `${display}: not a regular file; not read` };
    if (stat.size > sizeLimit(display)) return { skip: tooLarge(display, stat.size, sizeLimit(display), '', verb) };
    return decodeDocument(fs.readFileSync(absolute), display, verb);
  } catch (e) {
    return { error: `${display}: ${describeFsError(e, 'cannot be read')}` };
  }
}

/** A buffer (stdin, or a file already read) named `display`: its name says whether it is a notebook. */
export function decodeDocument(buffer: Buffer, display: string, verb: Verb = 'checked'): ReadResult {
  if (buffer.length > sizeLimit(display))
    return { skip: tooLarge(display, buffer.length, sizeLimit(display), '', verb) };
  if (buffer.subarray(0, BINARY_SNIFF_BYTES).includes(0))
    return { skip: `${display}: not ${verb}: binary file (a NUL byte in the first 8 KB)` };
  const decoded = buffer.toString('utf8');
  const bom = decoded.startsWith(BOM);
  const text = bom ? decoded.slice(1) : decoded;
  if (!isNotebookPath(display)) return { document: { kind: 'python', text, bom } };
  const read = readNotebook(text, display, verb);
  return 'notebook' in read
    ? {
        document: {
          kind: 'notebook',
          text,
          bom,
          notebook: read.notebook,
          cells: new NotebookText(read.notebook.cells),
        },
      }
    : read;
}

/** A notebook's JSON; `error` says why it is not one, `skip` why it is not analysed. */
function readNotebook(
  text: string,
  display: string,
  verb: Verb,
): { notebook: NotebookFile } | { error: string } | { skip: string } {
  let notebook: NotebookFile;
  try {
    notebook = parseNotebook(text);
  } catch (e) {
    return { error: `${display}: ${(e as Error).message}` };
  }
  if (notebook.language !== null && notebook.language !== 'python')
    return { skip: `${display}: not ${verb}: a ${notebook.language} notebook, not Python` };
  const codeBytes = notebook.cells.reduce((n, c) => n + Buffer.byteLength(c.text, 'utf8') + 1, 0);
  if (codeBytes > MAX_FILE_BYTES)
    return { skip: tooLarge(display, codeBytes, MAX_FILE_BYTES, 'its code cells are ', verb) };
  return { notebook };
}

function sizeLimit(display: string): number {
  return isNotebookPath(display) ? MAX_NOTEBOOK_FILE_BYTES : MAX_FILE_BYTES;
}

function tooLarge(display: string, bytes: number, limit: number, what: string, verb: Verb): string {
  return (
    `${display}: not ${verb}: ${what}larger than the ${limit / (1024 * 1024)} MB limit ` +
    `(${bytes.toLocaleString('en-US')} bytes)`
  );
}

/** A finding with, in a notebook, the index of its cell in the `cells` array (its range is then in the cell). */
export interface PlacedFinding {
  finding: Finding;
  cell?: number;
}

export interface CheckResult {
  findings: PlacedFinding[];
  /** The file's new text (the notebook's JSON for a notebook), or its text unchanged. */
  text: string;
  /** Fixes applied, by rule code. */
  applied: Record<string, number>;
  /** `# noqa` directives added (`addNoqa`): one per line. */
  directives: number;
  /** What changed, to show as a diff: the file's text, or each changed code cell of a notebook. */
  changes: TextChange[];
}

/** One text before and after: a Python file's, or a notebook cell's (its index in the `cells` array). */
export interface TextChange {
  cell?: number;
  before: string;
  after: string;
}

export interface CheckOptions {
  rules: readonly Rule[];
  selection: RuleSelection;
  /** Apply fixes (safe ones; unsafe ones too with `unsafe`). */
  fix?: boolean;
  unsafe?: boolean;
  /** Instead of fixing, silence each finding with a `# noqa: CODE` directive on its line. */
  addNoqa?: boolean;
  /** Resolves names imported from other files; asked for only when the document may have findings. */
  workspace?: () => Promise<WorkspaceScope | null>;
}

let parserReady: Promise<void> | undefined;

/** Loads the parser once; a document no enabled rule's triggers mention never needs it. */
export function parserLoaded(): Promise<void> {
  return (parserReady ??= initParser());
}

/**
 * Analyses a document, fixing it with `fix`. A notebook's code cells are analysed as one text and its findings
 * reported per cell; fixed cells are written back into the notebook's own JSON layout.
 */
export async function checkDocument(document: Document, options: CheckOptions): Promise<CheckResult> {
  const { rules, selection } = options;
  const unchanged: CheckResult = { findings: [], text: document.text, applied: {}, directives: 0, changes: [] };
  const analysed = analysedText(document);
  if (!mayHaveFindings(rules, analysed, selection)) return unchanged;
  await parserLoaded();
  const workspace = (await options.workspace?.()) ?? null;
  let findings: Finding[];
  let applied: Record<string, number> = {};
  let directives = 0;
  let cells = document.kind === 'notebook' ? document.cells : null;
  let changes: TextChange[] = [];
  if (options.addNoqa) {
    ({ findings, directives, changes } = silence(rules, document, selection, workspace));
  } else if (!options.fix) {
    findings = analyse(rules, analysed, selection, workspace);
  } else if (document.kind === 'python') {
    const result = fixText(rules, document.text, selection, { unsafe: options.unsafe, workspace });
    findings = result.syntaxError ? [...result.remaining, result.syntaxError] : result.remaining;
    if (result.text !== document.text) changes = [{ before: document.text, after: result.text }];
    applied = Object.fromEntries(result.applied);
  } else {
    const result = fixNotebook(rules, document.notebook.cells, selection, { unsafe: options.unsafe, workspace });
    changes = cellChanges(document.notebook, result.texts);
    cells = result.notebook;
    findings = [...result.remaining, ...syntaxErrors(result.notebook.text)];
    applied = Object.fromEntries(result.applied);
  }
  const placed = cells
    ? findingsInCells(cells, findings).map((f) => ({ finding: f.finding, cell: f.cell.index }))
    : findings.map((finding) => ({ finding }));
  return { findings: placed, text: newText(document, changes), applied, directives, changes };
}

/** The code cells whose text differs, `texts` being every code cell's new text in order. */
function cellChanges(notebook: NotebookFile, texts: readonly string[]): TextChange[] {
  return notebook.cells.flatMap((cell, i) =>
    texts[i] === cell.text ? [] : [{ cell: cell.index, before: cell.text, after: texts[i] }],
  );
}

/** The document's text with the changes made: the notebook's JSON with its cells' new sources. */
function newText(document: Document, changes: readonly TextChange[]): string {
  if (changes.length === 0) return document.text;
  if (document.kind === 'python') return changes[0].after;
  return serializeNotebook(document.notebook, new Map(changes.map((c) => [c.cell!, c.after])));
}

/**
 * `addNoqa`: each line with findings gets a `# noqa` directive for their codes. What is left: a syntax error, the
 * findings on a line that cannot take a comment (it ends inside a string, or after a backslash; in a notebook, a
 * line of IPython syntax), and those about directives themselves (RG100's unused ones).
 */
function silence(
  rules: readonly Rule[],
  document: Document,
  selection: RuleSelection,
  workspace: WorkspaceScope | null,
): { findings: Finding[]; directives: number; changes: TextChange[] } {
  const file = new SourceFile(analysedText(document));
  try {
    const syntax = syntaxErrorFinding(file);
    const found = new Analyzer(rules, true).analyze(file, selection, workspace);
    // An unused directive (RG100) is mended by removing it, not by another directive.
    const aboutDirectives = new Set(rules.filter((r) => r.meta.readsFindings).map((r) => r.meta.code));
    const cells = document.kind === 'notebook' ? document.cells : null;
    // In a notebook, a directive must land inside one cell, off IPython syntax.
    const placeable = (edit: TextEdit) => !cells || cells.editsToCells([edit]) !== null;
    const silenceable = found.filter((f) => !aboutDirectives.has(f.code));
    const { edits, left } = noqaDirectives(file, silenceable, placeable);
    const findings = [...found.filter((f) => aboutDirectives.has(f.code)), ...left, ...(syntax ? [syntax] : [])];
    if (edits.length === 0) return { findings, directives: 0, changes: [] };
    if (document.kind === 'python') {
      const after = applyEdits(file, edits);
      return { findings, directives: edits.length, changes: after === null ? [] : [{ before: file.text, after }] };
    }
    // Comments at the ends of lines move no finding: those left keep their places in the new cells.
    const texts = document.cells.applyToCells(edits);
    return { findings, directives: edits.length, changes: texts ? cellChanges(document.notebook, texts) : [] };
  } finally {
    file.dispose();
  }
}

/** The findings of a text, and its first syntax error: one parse for both. */
function analyse(rules: readonly Rule[], text: string, selection: RuleSelection, workspace: WorkspaceScope | null) {
  const file = new SourceFile(text);
  try {
    const syntax = syntaxErrorFinding(file);
    return [...new Analyzer(rules, true).analyze(file, selection, workspace), ...(syntax ? [syntax] : [])];
  } finally {
    file.dispose();
  }
}

/** A fixed text's first syntax error (a fix never adds one; this is the one the file had). */
function syntaxErrors(text: string): Finding[] {
  const file = new SourceFile(text);
  try {
    const syntax = syntaxErrorFinding(file);
    return syntax ? [syntax] : [];
  } finally {
    file.dispose();
  }
}

/** What a text is compared by, when only whether it changed matters (the CLI's cache, Check Workspace). */
export function textHash(text: string): string {
  return createHash('sha1').update(text).digest('base64');
}

/** The file's bytes for a new text: its byte-order mark kept. */
export function documentBytes(document: Document, text: string): string {
  return (document.bom ? BOM : '') + text;
}

/** Writes a fixed text back; returns the error line, or undefined when written. */
export function writeDocument(absolute: string, display: string, document: Document, text: string): string | undefined {
  try {
    fs.writeFileSync(absolute, documentBytes(document, text));
    return undefined;
  } catch (e) {
    return `${display}: fixes could not be written: ${describeFsError(e, 'write failed')}`;
  }
}
