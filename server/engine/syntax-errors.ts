import { damagedLines } from './analyze';
import { nodeRange, type Node, type SourceFile } from './parser';
import { walk } from './syntax';
import type { Finding } from './types';

/** The code of a syntax error, as Ruff reported E999: not a rule, so neither `select` nor `noqa` turns it off. */
export const SYNTAX_ERROR_CODE = 'RG000';

/**
 * The file's first syntax error as a finding, saying what the analysis still covered: the statements a syntax error
 * swallows are checked only as far as tree-sitter recovered them (server/engine/analyze.ts), everything else fully.
 * Null for a file that parses.
 */
export function syntaxErrorFinding(file: SourceFile): Finding | null {
  // tree-sitter's own root answers first: a file without errors (most) needs no copy of its tree here.
  if (!file.hasSyntaxError) return null;
  const root = file.root;
  let first: Node | null = null;
  walk(root, (node) => {
    if (first) return false;
    if (node.isError || node.isMissing) {
      first = node;
      return false;
    }
    return node.hasError;
  });
  const at = first as Node | null;
  if (!at) return null;
  const range = nodeRange(at);
  // An error token may take in the \r of a \r\n, which tree-sitter reads as text and LSP as the line break: its end
  // would then lie past the line's last character.
  range.end.character = Math.min(range.end.character, file.lineText(range.end.line).length);
  const shown = at.text.split('\n')[0].trim().slice(0, 40);
  const what = at.isMissing
    ? `\`${at.type}\` expected here`
    : shown
      ? `\`${shown}\` cannot be parsed here`
      : 'the code cannot be parsed here';
  const damaged = damagedLines(file);
  const lines = (a: number, b: number) => (b - a <= 1 ? `line ${a + 1}` : `lines ${a + 1}–${b}`);
  const covered =
    damaged.length === 0
      ? 'The rest of the file was checked.'
      : `${capitalized(damaged.map(([a, b]) => lines(a, b)).join(', '))} ` +
        `${damaged.length === 1 && damaged[0][1] - damaged[0][0] <= 1 ? 'was' : 'were'} ` +
        'checked only as far as they could be read; the rest of the file was checked.';
  return {
    code: SYNTAX_ERROR_CODE,
    name: 'syntax-error',
    message: `Syntax error: ${what}. ${covered}`,
    severity: 'error',
    range,
    fix: null,
    related: [],
    tags: [],
  };
}

function capitalized(text: string): string {
  return text[0].toUpperCase() + text.slice(1);
}
