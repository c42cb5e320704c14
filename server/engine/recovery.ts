// Recovery from a syntax error that swallows the code after it. An unclosed bracket or string makes tree-sitter read
// the statements after it as part of the broken one; analysed as parsed, they would lose their findings while the
// user types. So the broken statements' lines are blanked out (every character but line breaks a space: offsets
// and positions stay) and the rest is analysed as if they were not there.
import { ParseLimit, type Node, type SourceFile } from './parser';

/** What a syntax error left readable. */
export interface Recovery {
  /** Line ranges [start, end) blanked out. */
  damaged: [number, number][];
  /**
   * How the damaged lines are analysed. `unchecked`: they are the broken statements' own lines, and are not checked
   * (the statements around them are). `partly`: whole top-level statements were blanked, since the broken statements
   * alone could not be found or mended; their findings are those of the broken parse, as far as it reads them.
   */
  damage: 'unchecked' | 'partly';
  /** The file with the damaged lines blanked out, parsed and copied (the file owns it); null past the ParseLimit. */
  recovered: SourceFile | null;
}

/** Blanking one broken statement can expose the next broken one; a few rounds cover real files. */
const MAX_ROUNDS = 8;

/**
 * How to analyse a file with a syntax error: null when it swallows nothing (the file is analysed as parsed). When the
 * first error swallows the lines after its statement, the broken statements alone are blanked, and the file is
 * analysed as it reads without them (its context stays the one before the error).
 * Otherwise, or when that does not mend the parse, the top-level statements an error swallowed are.
 */
export function recover(file: SourceFile): Recovery | null {
  if (!file.hasSyntaxError) return null;
  // A file nested past the depth limit is not analysed, broken or not, and only its own copy measures that (the
  // blanked file may have lost the deep part); the broken statements are found in it too.
  void file.root;
  const narrow = brokenStatements(file);
  if (narrow) return narrow;
  let damaged = damagedLines(file);
  if (damaged.length === 0) return null;
  let recovered = blanked(file, damaged);
  for (let round = 0; recovered && round < MAX_ROUNDS && recovered.hasSyntaxError; round++) {
    const more = damagedLines(recovered);
    if (more.length === 0) break;
    damaged = [...damaged, ...more];
    recovered = blanked(file, damaged);
  }
  return { damaged, damage: 'partly', recovered };
}

/**
 * Blanks the lines of the broken statements that swallow the lines after them, round after round, until what is left
 * swallows nothing; null when the first error swallows nothing, or blanking does not mend the parse.
 */
function brokenStatements(file: SourceFile): Recovery | null {
  let damaged: [number, number][] = [];
  let current = file;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const broken = brokenStatement(current);
    // An error that cannot be placed: the top-level statements' turn.
    if (!broken) return null;
    // What is left swallows nothing, and is analysed as parsed; a first error that swallows nothing is `recover`'s.
    if (!broken.swallows) return damaged.length === 0 ? null : { damaged, damage: 'unchecked', recovered: current };
    const { lines } = broken;
    // No progress: the error is not where the blanked lines were.
    if (damaged.some(([a, b]) => a <= lines[0] && lines[1] <= b)) return null;
    damaged = merged([...damaged, lines]);
    const recovered = blanked(file, damaged);
    if (!recovered) return { damaged, damage: 'unchecked', recovered };
    if (!recovered.hasSyntaxError) return { damaged, damage: 'unchecked', recovered };
    current = recovered;
  }
  return null;
}

interface Broken {
  /** The lines [start, end) of the statement. */
  lines: [number, number];
  /** Its error runs into the lines after them. */
  swallows: boolean;
}

/**
 * The statement that holds the file's first syntax error: the one with the first unclosed bracket (an opening
 * bracket directly under an ERROR node: tree-sitter found nothing to close it), else the one that holds the first
 * ERROR or MISSING node. A statement runs from its first line to its last line of code before the next line of code
 * indented no deeper: its continuation lines and its block.
 */
function brokenStatement(file: SourceFile): Broken | null {
  const found = unclosedBracket(file.root) ?? firstError(file.root);
  if (!found) return null;
  const { start, reach } = found;
  const indent = indentOf(file.lineText(start));
  let end = start + 1;
  for (let line = start + 1; line < file.lineCount; line++) {
    const text = file.lineText(line);
    if (/^\s*(#|$)/.test(text)) continue;
    const depth = indentOf(text);
    if (depth < indent || (depth === indent && !CONTINUATION.test(text.slice(depth)))) break;
    end = line + 1;
  }
  return { lines: [start, end], swallows: reach >= end };
}

/** Where a broken statement starts, and the last row its error reaches. */
interface ErrorAt {
  start: number;
  reach: number;
}

const OPENING = new Set(['(', '[', '{']);

/** The statement with the first unclosed bracket, or null. */
function unclosedBracket(root: Node): ErrorAt | null {
  const found = firstUnclosed(root);
  return found && { start: statementStartBefore(found.error, found.bracket), reach: found.error.endPosition.row };
}

/**
 * What the file's first unclosed bracket leaves open, as tree-sitter read it: the opening bracket directly under an
 * ERROR node, which found nothing to close it (CPython's "'(' was never closed"), or a string started after it in the
 * same ERROR node that never ends, which CPython reports first (`f(y, '`: "unterminated string literal"); null when
 * there is no unclosed bracket.
 */
export function neverClosed(root: Node): Node | null {
  const found = firstUnclosed(root);
  if (!found) return null;
  const { error, bracket } = found;
  return unterminatedString(error.children.slice(bracket + 1)) ?? error.children[bracket];
}

/**
 * The start of a string that never ends among these nodes (the children of an ERROR node): a `string_start` no string
 * node holds, in them or in an ERROR node among them.
 */
export function unterminatedString(nodes: readonly Node[]): Node | null {
  for (const n of nodes) {
    if (n.type === 'string_start') return n;
    const inner = n.isError ? unterminatedString(n.children) : null;
    if (inner) return inner;
  }
  return null;
}

function firstUnclosed(root: Node): { error: Node; bracket: number } | null {
  if (!root.hasError) return null;
  // In document order, the nodes that hold an error and the brackets directly under an ERROR node; a stack, as
  // brackets may nest thousands deep.
  type Entry = { node: Node } | { error: Node; bracket: number };
  const stack: Entry[] = [{ node: root }];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    if ('error' in entry) return entry;
    const { node } = entry;
    const next: Entry[] = [];
    for (let i = 0; i < node.children.length; i++) {
      const child = node.children[i];
      if (node.isError && !child.isNamed && OPENING.has(child.type)) next.push({ error: node, bracket: i });
      else if (child.hasError) next.push({ node: child });
    }
    for (let i = next.length - 1; i >= 0; i--) stack.push(next[i]);
  }
  return null;
}

/**
 * Under an ERROR node, the tokens of the broken statement follow the last intact statement before its bracket: the
 * row of the first of them.
 */
function statementStartBefore(error: Node, bracket: number): number {
  let first = bracket;
  while (first > 0 && !INTACT.test(error.children[first - 1].type)) first--;
  return error.children[first].startPosition.row;
}

const INTACT = /_statement$|_definition$|^comment$/;

/** The statement (a child of a block or the module) that holds the first error, or null. */
function firstError(root: Node): ErrorAt | null {
  // The innermost statement on the way down.
  let node = root;
  let statement: Node | null = null;
  for (;;) {
    const next = node.children.find((c) => c.isError || c.isMissing || c.hasError);
    if (!next) break;
    if (node.type === 'block' || node.type === 'module') statement = next;
    node = next;
  }
  return statement && { start: statement.startPosition.row, reach: statement.endPosition.row };
}

/** Whitespace before the code; tabs count as one, which a mismatch the parse of the result catches anyway. */
function indentOf(text: string): number {
  return text.length - text.trimStart().length;
}

/** Sorted, with overlapping or touching ranges joined. */
function merged(ranges: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [a, b] of [...ranges].sort((x, y) => x[0] - y[0])) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** `file` with `damaged` blanked out, parsed and copied (the file owns it); null past the ParseLimit. */
function blanked(file: SourceFile, damaged: readonly [number, number][]): SourceFile | null {
  try {
    return file.withBlankedLines(damaged);
  } catch (e) {
    if (e instanceof ParseLimit) return null;
    throw e;
  }
}

/** Keywords that continue a compound statement rather than start a new one, and closing brackets. */
const CONTINUATION = /^(else|elif|except|finally|case)\b|^[)\]}]/;

/**
 * Line ranges [start, end) of top-level statements whose syntax error swallowed the statements after them.
 * A statement starts at a line with code in column 0 that is not inside a string and does not continue one.
 */
export function damagedLines(file: SourceFile): [number, number][] {
  const root = file.root;
  const damaged: [number, number][] = [];
  for (const stmt of root.children) {
    if (!stmt?.hasError) continue;
    const first = stmt.startPosition.row;
    const last = stmt.endPosition.row;
    // An unclosed bracket can turn the whole module into one ERROR node, whose leading statements are intact: the
    // damage starts at its first child that is not one. Only lines of statements with errors are read.
    let from = first;
    const broken = stmt.isError ? stmt.children.find((c) => !isIntactStatement(c)) : undefined;
    if (broken) {
      from = broken.startPosition.row;
      while (from > first && !startsStatement(file, root, from)) from--;
    }
    for (let line = from + 1; line <= last; line++) {
      if (!startsStatement(file, root, line)) continue;
      damaged.push([from, line]);
      break;
    }
  }
  return damaged;
}

/** A statement or comment without errors (among the children of an ERROR node). */
function isIntactStatement(node: Node): boolean {
  return !node.hasError && node.isNamed && INTACT.test(node.type);
}

function startsStatement(file: SourceFile, root: Node, line: number): boolean {
  const text = file.lineText(line);
  if (text.length === 0 || /^[\s#]/.test(text) || CONTINUATION.test(text)) return false;
  const node = root.descendantForPosition({ row: line, column: 0 });
  return !(node && /string|comment/.test(node.type) && node.startPosition.row < line);
}
