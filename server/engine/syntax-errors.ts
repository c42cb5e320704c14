import { nodeRange, type Node, type SourceFile } from './parser';
import { neverClosed, recover, type Recovery, unterminatedString } from './recovery';
import { walk } from './syntax';
import type { Finding, Range } from './types';

/** The code of a syntax error, as Ruff reported E999: not a rule, so neither `select` nor `noqa` turns it off. */
export const SYNTAX_ERROR_CODE = 'RG000';

/**
 * The file's first syntax error as a finding, saying what the analysis still covered: the statements a syntax error
 * swallows are not checked, or only as far as tree-sitter recovered them (server/engine/recovery.ts), everything else
 * fully.
 * Null for a file that parses (and whose first line of code is not indented).
 */
export function syntaxErrorFinding(file: SourceFile): Finding | null {
  // tree-sitter's own root answers first: a file without errors (most) needs no copy of its tree here. It reads an
  // indented first line without one, which Python refuses.
  const parsed = !file.hasSyntaxError;
  const recovery = parsed ? null : recover(file);
  const error = unexpectedIndent(file) ?? (parsed ? null : firstError(recovery, file));
  if (!error) return null;
  const { range, shown } = error;
  // An error token may take in the \r of a \r\n, which tree-sitter reads as text and LSP as the line break, or start
  // at its \n: either end would then lie past the line's last character.
  for (const end of [range.start, range.end]) end.character = Math.min(end.character, file.lineText(end.line).length);
  const lines = (a: number, b: number) => (b - a <= 1 ? `line ${a + 1}` : `lines ${a + 1}–${b}`);
  let covered = 'The rest of the file was checked.';
  if (recovery) {
    const { damaged } = recovery;
    const one = damaged.length === 1 && damaged[0][1] - damaged[0][0] <= 1;
    const listed = capitalized(damaged.map(([a, b]) => lines(a, b)).join(', '));
    covered =
      recovery.damage === 'unchecked'
        ? `${listed} ${one ? 'was' : 'were'} not checked; the rest of the file was checked.`
        : `${listed} ${one ? 'was' : 'were'} checked only as far as they could be read; the rest of the file was ` +
          'checked.';
  }
  return {
    code: SYNTAX_ERROR_CODE,
    name: 'syntax-error',
    message: `Syntax error: ${shown}. ${covered}`,
    severity: 'error',
    range,
    fix: null,
    related: [],
    tags: [],
  };
}

/**
 * Where the first syntax error is, and what it says. A broken statement that swallowed the lines after it starts
 * where recovery blanked (recovery.ts): tree-sitter's own first error node may then be an ERROR node that begins
 * with the file's first import, or lie in a line the bracket took in. Else the first ERROR or MISSING node, of the
 * file as recovered when an earlier error swallowed nothing.
 */
function firstError(recovery: Recovery | null, file: SourceFile): { range: Range; shown: string } | null {
  const node = firstErrorNode(recovery?.damage === 'unchecked' && recovery.recovered ? recovery.recovered : file);
  const blanked = recovery?.damage === 'unchecked' ? recovery.damaged[0] : undefined;
  // An unclosed bracket in the broken statement is what broke it, as CPython says ("'(' was never closed"): the
  // statement's first line, or the ERROR node from the file's first import, would point elsewhere.
  const unclosed = neverClosed(file.root);
  if (blanked !== undefined && !(node && node.startPosition.row < blanked[0])) {
    const row = unclosed?.startPosition.row ?? -1;
    if (unclosed && row >= blanked[0] && row < blanked[1]) return wasNeverClosed(unclosed);
    const text = file.lineText(blanked[0]);
    const code = text.trim();
    const start = text.length - text.trimStart().length;
    return {
      range: {
        start: { line: blanked[0], character: start },
        end: { line: blanked[0], character: start + code.length },
      },
      shown: `\`${code.slice(0, 40)}\` cannot be parsed here`,
    };
  }
  if (!node) return null;
  // Inside the first error: a string that never ends (CPython: "unterminated string literal") or a bracket, whichever
  // comes first, as CPython's tokenizer meets them.
  const string = node.isError ? unterminatedString(node.children) : null;
  const within = (n: Node) => node.startIndex <= n.startIndex && n.startIndex < node.endIndex;
  const bracket = recovery?.damage !== 'unchecked' && unclosed && within(unclosed) ? unclosed : null;
  const first = string && bracket ? (bracket.startIndex < string.startIndex ? bracket : string) : (string ?? bracket);
  if (first) return wasNeverClosed(first);
  const shown = node.text.split('\n')[0].trim().slice(0, 40);
  return {
    range: nodeRange(node),
    shown: node.isMissing
      ? `\`${node.type}\` expected here`
      : shown
        ? `\`${shown}\` cannot be parsed here`
        : 'the code cannot be parsed here',
  };
}

/** CPython's "'(' was never closed", at the bracket or quote. */
function wasNeverClosed(opening: Node): { range: Range; shown: string } {
  return { range: nodeRange(opening), shown: `\`${opening.text}\` was never closed` };
}

/**
 * A file whose first line of code is indented (a snippet pasted from inside a class): CPython's "unexpected indent",
 * on that line, before anything tree-sitter makes of the rest.
 */
function unexpectedIndent(file: SourceFile): { range: Range; shown: string } | null {
  for (let line = 0; line < file.lineCount; line++) {
    const text = file.lineText(line);
    const code = text.trim();
    if (code === '' || code.startsWith('#')) continue;
    const start = text.length - text.trimStart().length;
    if (start === 0) return null;
    return {
      range: { start: { line, character: start }, end: { line, character: text.length } },
      shown: 'unexpected indent',
    };
  }
  return null;
}

/** The first ERROR or MISSING node, or null. */
function firstErrorNode(file: SourceFile): Node | null {
  if (!file.hasSyntaxError) return null;
  let first: Node | null = null;
  walk(file.root, (node) => {
    if (first) return false;
    if (node.isError || node.isMissing) {
      first = node;
      return false;
    }
    return node.hasError;
  });
  return first;
}

function capitalized(text: string): string {
  return text[0].toUpperCase() + text.slice(1);
}
