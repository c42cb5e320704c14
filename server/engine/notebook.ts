// Jupyter notebooks as one Python text. A notebook runs its code cells top to bottom in one namespace, so its
// analysis is the analysis of the concatenation of its code cells in order (imports in cell 0, a class in cell 2
// used in cell 5). IPython syntax (`%magic`, `%%cell magic`, `!shell`, `?help`) is not Python: it is blanked to
// same-length text (`pass` and spaces) so that every other position stays where it was.
import { Analyzer } from './analyze';
import { chooseFixes, fixKey, isFixable } from './fixes';
import type { RuleSelection } from './config';
import type { Rule } from './rule';
import { lineStarts, SourceFile } from './parser';
import type { Finding, Position, Range, TextEdit } from './types';
import type { WorkspaceScope } from './scope';

/** One code cell as the notebook holds it. */
export interface CodeCell {
  /** Index of the cell in the notebook's `cells` array (markdown and raw cells counted) or the editor's cell list. */
  index: number;
  text: string;
}

/** Where a code cell lies in the concatenated text. */
export interface CellSpan {
  index: number;
  /** The cell's own text, IPython syntax included. */
  text: string;
  /** Offset of the cell's first character in the concatenated text. */
  start: number;
  /** First line of the cell in the concatenated text. */
  startLine: number;
  /** Lines the cell has (a text ending in a line break has an empty last line). */
  lineCount: number;
  /** Offsets, relative to the cell, of IPython text that was blanked: no edit may touch these. */
  blanked: { start: number; end: number }[];
}

/**
 * Cell magics whose body is Python that IPython runs (timed, captured, profiled): only their first line is blanked.
 * Every other cell magic (`%%bash`, `%%writefile`, `%%html`, …) holds something else, and the whole cell is blanked.
 */
const PYTHON_BODY_CELL_MAGICS = new Set(['capture', 'time', 'timeit', 'prun', 'debug', 'python', 'python3', 'pypy']);

/** The code cells of a notebook joined into one text, one line break after each cell, with positions both ways. */
export class NotebookText {
  /** The concatenated, IPython-blanked text the engine analyses. */
  readonly text: string;
  readonly cells: CellSpan[];

  constructor(cells: readonly CodeCell[]) {
    const parts: string[] = [];
    const spans: CellSpan[] = [];
    let offset = 0;
    let line = 0;
    for (const cell of cells) {
      const { text, blanked } = blankIPython(cell.text);
      const lineCount = lineStarts(cell.text).length;
      spans.push({ index: cell.index, text: cell.text, start: offset, startLine: line, lineCount, blanked });
      // A cell ending in a lone \r would make "\r\n" with a plain \n after it, one line break where the cell's
      // positions count two.
      const lineBreak = text.endsWith('\r') ? '\r\n' : '\n';
      parts.push(text, lineBreak);
      offset += text.length + lineBreak.length;
      line += lineCount;
    }
    this.text = parts.join('');
    this.cells = spans;
  }

  /** The cell (position in `cells`) holding a line of the concatenated text; -1 past the end. */
  cellAtLine(line: number): number {
    let lo = 0;
    let hi = this.cells.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const span = this.cells[mid];
      if (line < span.startLine) hi = mid - 1;
      else if (line >= span.startLine + span.lineCount) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /** A position of the concatenated text as (cell, position in the cell); null past the last cell. */
  toCell(position: Position): { cell: CellSpan; position: Position } | null {
    const at = this.cellAtLine(position.line);
    if (at < 0) return null;
    const cell = this.cells[at];
    return { cell, position: { line: position.line - cell.startLine, character: position.character } };
  }

  /** A range inside one cell, in that cell's coordinates; null when it spans cells. */
  rangeToCell(range: Range): { cell: CellSpan; range: Range } | null {
    const start = this.toCell(range.start);
    const end = this.toCell(range.end);
    if (!start || !end || start.cell !== end.cell) return null;
    return { cell: start.cell, range: { start: start.position, end: end.position } };
  }

  /** A position in a cell (by its `index`) as a position of the concatenated text; null for a cell not here. */
  fromCell(index: number, position: Position): Position | null {
    const cell = this.cells.find((c) => c.index === index);
    if (!cell) return null;
    const line = Math.min(Math.max(position.line, 0), cell.lineCount - 1);
    return { line: cell.startLine + line, character: position.character };
  }

  fromCellRange(index: number, range: Range): Range | null {
    const start = this.fromCell(index, range.start);
    const end = this.fromCell(index, range.end);
    return start && end ? { start, end } : null;
  }

  /**
   * Edits of the concatenated text as edits of cells, grouped by cell in cell order; null when any edit would span
   * cells, touch the line break between two cells, or change blanked IPython text: such a fix is not offered.
   */
  editsToCells(edits: readonly TextEdit[]): { cell: CellSpan; edits: TextEdit[] }[] | null {
    const byCell = new Map<CellSpan, TextEdit[]>();
    for (const edit of edits) {
      const mapped = this.rangeToCell(edit.range);
      if (!mapped) return null;
      const { cell, range } = mapped;
      const starts = lineStarts(cell.text);
      const offsetOf = (p: Position) => starts[p.line] + p.character;
      const lineEnd = (line: number) => (line + 1 < starts.length ? starts[line + 1] : cell.text.length);
      // A position past the end of its line would reach into the next line (or the next cell).
      if (offsetOf(range.start) > lineEnd(range.start.line) || offsetOf(range.end) > lineEnd(range.end.line))
        return null;
      const start = offsetOf(range.start);
      const end = offsetOf(range.end);
      if (end > cell.text.length) return null;
      if (
        cell.blanked.some(
          (b) => start < b.end && end > b.start && !(start === end && (start === b.start || start === b.end)),
        )
      )
        return null;
      const list = byCell.get(cell) ?? [];
      list.push({ range, newText: edit.newText });
      byCell.set(cell, list);
    }
    return this.cells.filter((c) => byCell.has(c)).map((cell) => ({ cell, edits: byCell.get(cell)! }));
  }

  /**
   * The cells' texts after an edit of the concatenated text that `editsToCells` accepted, IPython syntax put back.
   * Returns null if the edits cannot be mapped.
   */
  applyToCells(edits: readonly TextEdit[]): string[] | null {
    const mapped = this.editsToCells(edits);
    if (!mapped) return null;
    const texts = this.cells.map((c) => c.text);
    for (const { cell, edits: cellEdits } of mapped) {
      const at = this.cells.indexOf(cell);
      texts[at] = applyCellEdits(cell.text, cellEdits);
    }
    return texts;
  }
}

/** LSP edits (ranges relative to the original text, not overlapping) applied to a text. */
export function applyCellEdits(text: string, edits: readonly TextEdit[]): string {
  const starts = lineStarts(text);
  const offsetOf = (p: Position) => Math.min((starts[p.line] ?? text.length) + p.character, text.length);
  const spans = edits
    .map((e) => ({ start: offsetOf(e.range.start), end: offsetOf(e.range.end), text: e.newText }))
    .sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  for (const s of spans) out = out.slice(0, s.start) + s.text + out.slice(s.end);
  return out;
}

/**
 * The cell's text with IPython syntax replaced by `pass` (or `...`/`0` where shorter) padded with spaces to the
 * same length, or by spaces only (cell magics, continuation lines), line breaks kept, plus the blanked spans. Only
 * lines where a Python statement could start are
 * looked at, so `%` continuing an expression inside brackets or a string is left alone.
 */
export function blankIPython(text: string): { text: string; blanked: { start: number; end: number }[] } {
  const starts = lineStarts(text);
  const lines = starts.map((s, i) => {
    const end = i + 1 < starts.length ? starts[i + 1] : text.length;
    let contentEnd = end;
    while (contentEnd > s && (text.charCodeAt(contentEnd - 1) === 10 || text.charCodeAt(contentEnd - 1) === 13))
      contentEnd--;
    return { start: s, end: contentEnd };
  });
  const blanked: { start: number; end: number; filler: 'statement' | 'space' }[] = [];
  // A magic where a statement stands becomes `pass` at the same indentation (a block may need a statement there);
  // a whole cell magic's lines and a magic's continuation lines become spaces, a blank line wherever it is.
  const blankLine = (i: number, filler: 'statement' | 'space') => {
    const { start, end } = lines[i];
    const indent = filler === 'statement' ? /^[ \t]*/.exec(text.slice(start, end))![0].length : 0;
    if (start + indent < end) blanked.push({ start: start + indent, end, filler });
  };

  // A cell magic is the cell's first non-blank line.
  const first = lines.findIndex((l) => text.slice(l.start, l.end).trim() !== '');
  let from = 0;
  if (first >= 0) {
    const magic = /^\s*%%([A-Za-z_][\w.]*)?/.exec(text.slice(lines[first].start, lines[first].end));
    if (magic) {
      if (!PYTHON_BODY_CELL_MAGICS.has(magic[1] ?? '')) {
        for (let i = first; i < lines.length; i++) blankLine(i, 'space');
        return { text: replaceSpans(text, blanked), blanked: blanked.map(({ start, end }) => ({ start, end })) };
      }
      blankLine(first, 'space');
      from = first + 1;
    }
  }

  const scanner = new StatementScanner();
  let continuesMagic = false;
  for (let i = from; i < lines.length; i++) {
    const line = text.slice(lines[i].start, lines[i].end);
    if (continuesMagic) {
      // A line magic or shell command continued with a trailing backslash.
      blankLine(i, 'space');
      continuesMagic = line.endsWith('\\');
      continue;
    }
    if (scanner.atStatementStart() && isIPythonLine(line, scanner)) {
      blankLine(i, 'statement');
      continuesMagic = line.endsWith('\\');
      continue;
    }
    scanner.feed(line);
  }
  return { text: replaceSpans(text, blanked), blanked: blanked.map(({ start, end }) => ({ start, end })) };
}

/** `%magic`, `!shell`, `x = %magic`, `x = !shell`, `?name`, `name?`, `name??` at the start of a statement. */
function isIPythonLine(line: string, scanner: StatementScanner): boolean {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return false;
  if (/^[%!?]/.test(trimmed)) return true;
  if (/^[A-Za-z_][\w.]*(\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*[%!]/.test(trimmed)) return true;
  // `name?` / `obj.attr??`: the code part (comment stripped) ends in a question mark.
  const code = scanner.codePart(line).trimEnd();
  return code.endsWith('?') && /^[A-Za-z_*][\w.*[\]()'", ]*\?{1,2}$/.test(code.trim());
}

/** Each blanked span becomes spaces, or `pass` / `...` / `0` followed by spaces, of the same length. */
function replaceSpans(
  text: string,
  spans: readonly { start: number; end: number; filler: 'statement' | 'space' }[],
): string {
  let out = '';
  let pos = 0;
  for (const s of spans) {
    const length = s.end - s.start;
    const filler = s.filler === 'space' ? '' : length >= 4 ? 'pass' : length === 3 ? '...' : '0';
    out += text.slice(pos, s.start) + filler + ' '.repeat(Math.max(0, length - filler.length));
    pos = s.end;
  }
  return out + text.slice(pos);
}

/**
 * Just enough of Python's tokenizer to know whether the next line starts a statement: open brackets, open
 * triple-quoted strings and backslash continuations carry a statement over to the next line.
 */
class StatementScanner {
  private depth = 0;
  private triple: string | null = null;
  private continued = false;

  atStatementStart(): boolean {
    return this.depth === 0 && this.triple === null && !this.continued;
  }

  /** The line without its comment (strings are respected), from the scanner's current state. */
  codePart(line: string): string {
    const end = this.scan(line, false);
    return line.slice(0, end);
  }

  feed(line: string): void {
    this.scan(line, true);
  }

  /** Walks the line; returns where a comment starts (or the line's length). Updates state when `commit` is set. */
  private scan(line: string, commit: boolean): number {
    let depth = this.depth;
    let triple = this.triple;
    let commentAt = line.length;
    let i = 0;
    while (i < line.length) {
      if (triple) {
        const close = line.indexOf(triple, i);
        if (close < 0) {
          i = line.length;
          break;
        }
        // A backslash before the quotes escapes the first of them.
        let backslashes = 0;
        for (let j = close - 1; j >= 0 && line[j] === '\\'; j--) backslashes++;
        if (backslashes % 2 === 1) {
          i = close + 1;
          continue;
        }
        i = close + 3;
        triple = null;
        continue;
      }
      const c = line[i];
      if (c === '#') {
        commentAt = i;
        break;
      }
      if (c === '"' || c === "'") {
        if (line.startsWith(c.repeat(3), i)) {
          triple = c.repeat(3);
          i += 3;
          continue;
        }
        i++;
        while (i < line.length && line[i] !== c) i += line[i] === '\\' ? 2 : 1;
        i++;
        continue;
      }
      if (c === '(' || c === '[' || c === '{') depth++;
      else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
      i++;
    }
    if (commit) {
      this.depth = depth;
      this.triple = triple;
      this.continued = triple === null && commentAt === line.length && line.endsWith('\\');
    }
    return commentAt;
  }
}

// ---- .ipynb files ----------------------------------------------------------------------------------------------

/** A notebook file read for checking: its code cells, and what writing it back needs. */
export interface NotebookFile {
  /** The file's text: fixes replace only the sources of the cells they change in it. */
  raw: string;
  /** The parsed JSON, kept to write fixes back. */
  json: { cells: { cell_type?: unknown; source?: unknown }[] } & Record<string, unknown>;
  cells: CodeCell[];
  /** Indentation of the file's JSON (nbformat writes one space). */
  indent: string | number;
  /** The file ends with a line break. */
  finalNewline: boolean;
  /** The kernel's language from the metadata, lower case; null when the notebook does not say. */
  language: string | null;
}

/** Reads an `.ipynb` file's text; throws an Error whose message says what is wrong with it. */
export function parseNotebook(text: string): NotebookFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`not a valid notebook: invalid JSON (${(e as Error).message})`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json) || !Array.isArray((json as { cells?: unknown }).cells)) {
    throw new Error('not a valid notebook: no "cells" array (nbformat 4 is supported)');
  }
  const notebook = json as NotebookFile['json'];
  const cells: CodeCell[] = [];
  notebook.cells.forEach((cell, index) => {
    if (!cell || typeof cell !== 'object' || cell.cell_type !== 'code') return;
    cells.push({ index, text: sourceText(cell.source) });
  });
  // JSON.stringify reproduces nbformat's layout (one space, `"key": value`); a file on one line stays on one line.
  const indentMatch = /^\s*\{\r?\n([ \t]*)/.exec(text);
  return {
    raw: text,
    json: notebook,
    cells,
    indent: indentMatch ? indentMatch[1] || 1 : 0,
    finalNewline: /\n$/.test(text),
    language: notebookLanguage(notebook),
  };
}

function notebookLanguage(notebook: NotebookFile['json']): string | null {
  const metadata = notebook.metadata as
    | { language_info?: { name?: unknown }; kernelspec?: { language?: unknown } }
    | undefined;
  const name = metadata?.language_info?.name ?? metadata?.kernelspec?.language;
  return typeof name === 'string' && name !== '' ? name.toLowerCase() : null;
}

/** nbformat stores a cell's source as a string or as a list of lines (each but the last ending in "\n"). */
function sourceText(source: unknown): string {
  if (typeof source === 'string') return source;
  if (Array.isArray(source)) return source.filter((s) => typeof s === 'string').join('');
  return '';
}

/** The notebook file's text with new sources for its code cells, formatted as nbformat writes it. */
export function serializeNotebook(notebook: NotebookFile, sources: ReadonlyMap<number, string>): string {
  const values = new Map<number, string[] | string>();
  for (const [index, text] of sources) {
    const cell = notebook.json.cells[index];
    cell.source = typeof cell.source === 'string' ? text : sourceLines(text);
    values.set(index, cell.source as string[] | string);
  }
  // Everything but the changed sources stays byte for byte: JSON.parse and JSON.stringify would rewrite numbers
  // (`1.0` becomes `1`), escapes and the layout of outputs and metadata, a diff no fix should make.
  const spans = sourceSpans(notebook.raw);
  if (spans && [...values.keys()].every((index) => spans.has(index))) {
    let out = notebook.raw;
    for (const [index, value] of [...values].sort((a, b) => spans.get(b[0])!.start - spans.get(a[0])!.start)) {
      const { start, end } = spans.get(index)!;
      const lineStart = out.lastIndexOf('\n', start - 1) + 1;
      const keyIndent = /^[ \t]*/.exec(out.slice(lineStart, start))![0];
      const unit = typeof notebook.indent === 'number' ? ' '.repeat(notebook.indent) : notebook.indent;
      const written =
        notebook.indent === 0
          ? JSON.stringify(value)
          : JSON.stringify(value, null, unit).replace(/\n/g, `\n${keyIndent}`);
      out = out.slice(0, start) + written + out.slice(end);
    }
    return out;
  }
  return JSON.stringify(notebook.json, null, notebook.indent) + (notebook.finalNewline ? '\n' : '');
}

/**
 * Where each cell's `"source"` value lies in a notebook's JSON text, by the cell's index in `cells`; null when the
 * text is nested too deeply to scan (valid JSON: it was parsed before).
 */
function sourceSpans(text: string): Map<number, { start: number; end: number }> | null {
  const spans = new Map<number, { start: number; end: number }>();
  let i = 0;
  const space = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const string = (): void => {
    for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    i++;
  };
  // `where`: the root object, the cells array, one cell, or anything else.
  const value = (where: 'root' | 'cells' | 'cell' | 'other', cell = -1, depth = 0): void => {
    if (depth > 200) throw new RangeError('nested too deeply');
    space();
    const c = text[i];
    if (c === '{') {
      i++;
      space();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        space();
        const keyStart = i;
        string();
        const key = text.slice(keyStart + 1, i - 1);
        space();
        i++; // ':'
        space();
        const start = i;
        value(where === 'root' && key === 'cells' ? 'cells' : 'other', -1, depth + 1);
        if (where === 'cell' && key === 'source') spans.set(cell, { start, end: i });
        space();
        if (text[i++] !== ',') return;
      }
    }
    if (c === '[') {
      i++;
      space();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let k = 0; ; k++) {
        value(where === 'cells' ? 'cell' : 'other', k, depth + 1);
        space();
        if (text[i++] !== ',') return;
      }
    }
    if (c === '"') {
      string();
      return;
    }
    while (i < text.length && !',]} \t\n\r'.includes(text[i])) i++;
  };
  try {
    value('root');
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
  return spans;
}

/** nbformat's list form: each line keeps its line break. */
function sourceLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

// ---- analysis and fixes ----------------------------------------------------------------------------------------

/** A finding of the concatenated text placed in its cell; `related` locations carry their own cell. */
export interface CellFinding {
  cell: CellSpan;
  /** The finding with its range (and its fix's edits, when every edit stays in a cell) in cell coordinates. */
  finding: Finding;
  related: { cell: CellSpan; range: Range; message: string }[];
}

/**
 * Findings of the concatenated text in cell coordinates. A fix whose edits would cross a cell boundary or change
 * IPython text is dropped (the finding stays); a fix may edit several cells, and then it is dropped too, because a
 * cell-coordinate fix can only name its own cell.
 */
export function findingsInCells(notebook: NotebookText, findings: readonly Finding[]): CellFinding[] {
  const out: CellFinding[] = [];
  for (const f of findings) {
    const at = notebook.rangeToCell(f.range);
    if (!at) continue;
    let fix = f.fix;
    if (fix) {
      const mapped = notebook.editsToCells(fix.edits);
      fix = mapped && mapped.length === 1 && mapped[0].cell === at.cell ? { ...fix, edits: mapped[0].edits } : null;
    }
    const related: CellFinding['related'] = [];
    for (const r of f.related) {
      const place = notebook.rangeToCell(r.range);
      if (place) related.push({ cell: place.cell, range: place.range, message: r.message });
    }
    out.push({
      cell: at.cell,
      finding: {
        ...f,
        range: at.range,
        fix,
        related: related.filter((r) => r.cell === at.cell).map((r) => ({ range: r.range, message: r.message })),
      },
      related,
    });
  }
  return out;
}

export interface NotebookFixResult {
  /** Code cells' texts after fixing, in the order given. */
  texts: string[];
  applied: Map<string, number>;
  /** Findings left, of the concatenation of the fixed cells. */
  remaining: Finding[];
  /** The fixed cells as a notebook text (what `remaining` refers to). */
  notebook: NotebookText;
}

/**
 * `fixText` for a notebook: passes of non-overlapping fixes (at most 10), each fix applied only when all its
 * edits stay inside cells and it adds no syntax error to the concatenation; the cells are rebuilt after each pass.
 */
export function fixNotebook(
  rules: readonly Rule[],
  cells: readonly CodeCell[],
  selection: RuleSelection,
  options: { unsafe?: boolean; workspace?: WorkspaceScope | null } = {},
): NotebookFixResult {
  const applied = new Map<string, number>();
  // As fixText: each pass analyses a new text, so no findings are kept between analyses.
  const analyzer = new Analyzer(rules, true);
  const rejected = new Set<string>();
  let texts = cells.map((c) => c.text);
  const build = () => new NotebookText(cells.map((c, i) => ({ index: c.index, text: texts[i] })));
  for (let pass = 0; pass <= 10; pass++) {
    const notebook = build();
    const file = new SourceFile(notebook.text);
    try {
      const findings = analyzer.analyze(file, selection, options.workspace);
      if (pass === 10) return { texts, applied, remaining: findings, notebook };
      const fixable = findings.filter((f) => isFixable(f, options.unsafe) && !rejected.has(fixKey(f)));
      // A fix that would reach across two cells or into IPython text cannot be written back to the cells.
      const { chosen, edits } = chooseFixes(file, fixable, rejected, (f) => !notebook.editsToCells(f.fix!.edits));
      if (chosen.length === 0) return { texts, applied, remaining: findings, notebook };
      texts = notebook.applyToCells(edits)!;
      for (const f of chosen) applied.set(f.code, (applied.get(f.code) ?? 0) + 1);
    } finally {
      file.dispose();
    }
  }
  throw new Error('unreachable');
}
