// The lines of code `--output-format full` shows under each finding: the lines its range spans and a few around
// them, taken when the file is checked (after --fix, from the fixed text, where the remaining findings lie), so the
// report needs no second read of a file that may have changed, and a worker thread sends plain data.
import type { CheckResult, Document, PlacedFinding } from '../core/document';

/**
 * Lines of the file (or of the finding's notebook cell) around a finding, each with its number (0-based): the numbers
 * jump where a long range's middle is left out. A line is shown from `column` on, at most `WIDTH` characters of it
 * (`more` when it goes on): a minified line of 100,000 characters shows the part where the finding starts.
 */
export interface SourceExcerpt {
  column: number;
  lines: { line: number; text: string; more?: true }[];
}

/** Lines shown before and after a finding's range. */
const CONTEXT = 2;
/** A range over more lines shows its first and last ones only. */
const MAX_RANGE_LINES = 6;
/** Characters of a line shown. */
const WIDTH = 200;

export type ExcerptedFinding = PlacedFinding & { excerpt?: SourceExcerpt };

/** Each finding with its excerpt; `analysis` is the check of `document` (its new text, if fixed). */
export function withExcerpts(document: Document, analysis: CheckResult): ExcerptedFinding[] {
  const linesOf = textLines(document, analysis);
  return analysis.findings.map((placed) => {
    const lines = linesOf(placed.cell);
    return lines ? { ...placed, excerpt: excerpt(lines, placed) } : placed;
  });
}

/** The lines of the checked text, or of one cell of a notebook, as the findings' positions count them. */
function textLines(document: Document, analysis: CheckResult): (cell: number | undefined) => string[] | undefined {
  const split = memo((text: string) => text.split(/\r\n|\r|\n/));
  if (document.kind === 'python') return () => split(analysis.text);
  const changed = new Map(analysis.changes.map((c) => [c.cell, c.after]));
  return (cell) => {
    const text = changed.get(cell) ?? document.notebook.cells.find((c) => c.index === cell)?.text;
    return text === undefined ? undefined : split(text);
  };
}

function excerpt(lines: readonly string[], { finding }: PlacedFinding): SourceExcerpt {
  const { start, end } = finding.range;
  let first = Math.max(0, start.line - CONTEXT);
  let last = Math.min(lines.length - 1, end.line + CONTEXT);
  // Blank lines of context say nothing.
  while (first < start.line && lines[first]?.trim() === '') first++;
  while (last > end.line && lines[last]?.trim() === '') last--;
  const numbers: number[] = [];
  for (let n = first; n <= last; n++) {
    // The middle of a long range is left out: its first and last lines stay, with the context around them.
    const middle = n >= start.line + MAX_RANGE_LINES / 2 && n <= end.line - MAX_RANGE_LINES / 2;
    if (end.line - start.line + 1 <= MAX_RANGE_LINES || !middle) numbers.push(n);
  }
  // Shifted left only when the finding starts past what one width shows.
  const column = start.character + 40 > WIDTH ? start.character - 40 : 0;
  return {
    column,
    lines: numbers.map((line) => {
      const text = lines[line].slice(column, column + WIDTH);
      return lines[line].length > column + WIDTH ? { line, text, more: true } : { line, text };
    }),
  };
}

function memo<T>(f: (text: string) => T): (text: string) => T {
  let last: { text: string; value: T } | undefined;
  return (text) => {
    if (last?.text !== text) last = { text, value: f(text) };
    return last.value;
  };
}
