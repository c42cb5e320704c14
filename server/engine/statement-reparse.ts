// An edit inside one top-level statement, parsed as that statement's text alone and put in place in the copy of the
// tree, instead of tree-sitter's incremental parse of the whole file: after a one-character edit of a 150 KB file
// that parse re-reads about a third of the text and rebuilds the module's list of statements, around a millisecond,
// while a statement's text alone parses in a tenth of that.
//
// Why the result is the tree a parse of the whole file gives: at the start of a line that begins a top-level
// statement, tree-sitter's state is the start of a module (no open bracket, string or block; the indentation stack
// at column 0), and where the statement ends, the next statement at column 0, or the end of the text, closes its
// blocks the same way. So the statement is parsed alone when it starts at column 0 right after a line break, its last
// line holds nothing but it and comments, and what follows is blank lines and comments at column 0 up to the next
// statement at column 0 (an indented comment there may belong to the statement's last block, depending on what the
// edit did to it). Anything else, and any syntax error in the statement's new text (an unclosed bracket would take in
// the lines after it), is left to tree-sitter's incremental parse. test/engine/statement-reparse.test.ts compares
// the result with a fresh parse after random edits of real model code.
import type { Tree } from 'web-tree-sitter';
import { copyTree, replaceTopLevel, type SyntaxNode, type TextSpanEdit, TreeTooDeep } from './syntax-tree';
import type { TextSource } from './text-pieces';

/**
 * Statements longer than this are left to the incremental parse, which reads only around the edit: a statement's own
 * parse costs in proportion to its length (about 0.1 ms per KB here), and in a short file the two cost alike.
 */
const MAX_STATEMENT_CHARS = 16 * 1024;

/** What lies between a statement's last line and the next statement: blank lines and comments at column 0. */
const GAP = /^(?:(?:\r\n|\n|\r)(?:[ \t]*|#[^\r\n]*))*$/;

/**
 * The copy of the tree after `edit`, made by parsing the one top-level statement it falls in, or null when the edit
 * is not inside one such statement as described above (the caller then parses the whole file). `root` is the copy
 * before the edit, without syntax errors; `text` and `lineStarts` are the parser's text after it; `parse` parses a
 * text alone.
 */
export function reparseStatement(
  root: SyntaxNode,
  edit: TextSpanEdit,
  text: TextSource,
  lineStarts: readonly number[],
  parse: (text: string) => Tree,
  maxDepth: number,
): SyntaxNode | null {
  if (root.hasError) return null;
  const region = statementRegion(root, edit);
  if (!region) return null;
  const delta = edit.newEnd - edit.oldEnd;
  const length = region.end + delta - region.start;
  if (length > MAX_STATEMENT_CHARS) return null;
  const tree = parse(text.slice(region.start, region.start + length));
  try {
    if (!isOneStatement(tree)) return null;
    // From here on the old copy reads the new text, as after any copy that takes statements over (copyTree).
    const alone = copyTree(tree, text, lineStarts, { at: { source: root.source, offset: region.start }, maxDepth });
    return replaceTopLevel(root, region.from, region.to, alone.children, delta);
  } catch (e) {
    if (e instanceof TreeTooDeep) return null;
    throw e;
  } finally {
    tree.delete();
  }
}

/** The old text's lines [start, end) that the edit lies in, and the root's children [from, to) on them. */
interface Region {
  start: number;
  end: number;
  from: number;
  to: number;
}

function statementRegion(root: SyntaxNode, edit: TextSpanEdit): Region | null {
  const children = root.children;
  // The last statement that starts before the edit.
  let lo = 0;
  let hi = children.length - 1;
  if (hi < 0 || children[0].startIndex >= edit.start) return null;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (children[mid].startIndex < edit.start) lo = mid;
    else hi = mid - 1;
  }
  const stmt = children[lo];
  if (!stmt.isNamed || stmt.type === 'comment' || stmt.startPosition.column !== 0) return null;
  const before = children[lo - 1];
  if (before?.type === 'line_continuation') return null;
  const text = root.source.text;
  // Its last line: the statement and the comments after it, then spaces up to the line break.
  const lastRow = stmt.endPosition.row;
  let to = lo + 1;
  while (to < children.length && children[to].startPosition.row === lastRow) {
    if (children[to].type !== 'comment') return null;
    to++;
  }
  let end = children[to - 1].endIndex;
  while (end < text.length && isBlank(text.charCodeAt(end))) end++;
  if (end < text.length && !isLineBreak(text.charCodeAt(end))) return null;
  if (edit.oldEnd > end) return null;
  // Up to the next statement: blank lines and comments at column 0.
  let next = to;
  while (next < children.length && children[next].type === 'comment') next++;
  const gapEnd = next < children.length ? children[next].startIndex : text.length;
  if (next < children.length && children[next].startPosition.column !== 0) return null;
  if (!GAP.test(text.slice(end, gapEnd))) return null;
  return { start: stmt.startIndex, end, from: lo, to };
}

/** A statement at the start of the text and comments on its last line, without syntax errors. */
function isOneStatement(tree: Tree): boolean {
  const root = tree.rootNode;
  if (root.hasError) return false;
  const first = root.firstChild;
  if (!first?.isNamed || first.type === 'comment' || first.startIndex !== 0) return false;
  const row = first.endPosition.row;
  for (let i = 1; i < root.childCount; i++) {
    const c = root.child(i);
    if (c?.type !== 'comment' || c.startPosition.row !== row) return false;
  }
  return true;
}

const isBlank = (c: number) => c === 32 || c === 9;
const isLineBreak = (c: number) => c === 10 || c === 13;
