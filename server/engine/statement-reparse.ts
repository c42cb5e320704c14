// An edit of a file that parses, put in the copy of the tree by parsing only the lines it falls in, instead of
// tree-sitter's incremental parse of the whole file: after a one-character edit of a 150 KB file that parse re-reads
// about a third of the text and rebuilds the module's list of statements (a millisecond), and after an edit in the
// blank lines between two classes it re-parsed the whole file (40 ms), while a few lines parse in a tenth of a
// millisecond.
//
// Why the result is the tree a parse of the whole file gives. The lines re-parsed are whole lines: those of the
// top-level statements the edit touches (and the comments sharing their lines), or, for an edit between statements,
// its own lines. At the start of a line that starts a top-level statement, tree-sitter is in the state of a module's
// start (no open bracket, string or block; the indentation stack at column 0), and the statement before has been
// closed by that line being at column 0. At the end of the lines, what follows is blank lines and then a statement or
// comment at column 0, or the end of the text, both of which close every open block the same way. So when the new
// lines parse alone without a syntax error, into statements that all start at column 0, their parse is the whole
// file's. Anything else (an unclosed bracket takes in the lines after it; an indented line may belong to the block
// before) is left to tree-sitter's incremental parse. test/engine/statement-reparse.test.ts compares the result with
// a fresh parse after random edits of real model code.
import type { Tree } from 'web-tree-sitter';
import { copyTree, lineIndexOf, replaceTopLevel, type SyntaxNode, type TextSpanEdit, TreeTooDeep } from './syntax-tree';
import type { TextSource } from './text-pieces';

/**
 * Regions longer than this are left to the incremental parse, which reads only around the edit: a region's own parse
 * costs in proportion to its length (about 0.1 ms per KB here), and in a short file the two cost alike.
 */
const MAX_REGION_CHARS = 16 * 1024;

/** Text between a region and the statements around it: blank lines of spaces and tabs only. */
const BLANK = /^[ \t\r\n]*$/;

/**
 * The copy of the tree after `edit`, made by parsing the lines it falls in alone, or null when that would not be the
 * whole file's parse (the caller then parses the whole file). `root` is the copy before the edit, with syntax errors
 * only in those lines if any; `text` and `lineStarts` are the parser's text after it; `parse` parses a text alone.
 */
export function reparseStatement(
  root: SyntaxNode,
  edit: TextSpanEdit,
  text: TextSource,
  lineStarts: readonly number[],
  parse: (text: string) => Tree,
  maxDepth: number,
): SyntaxNode | null {
  const region = editedRegion(root, edit);
  if (!region) return null;
  // A syntax error may lie in the lines re-parsed (the edit that mends it), nowhere else: a statement outside them
  // that holds one was not parsed from a statement's start.
  if (root.hasError) {
    const children = root.children;
    for (let i = 0; i < children.length; i++)
      if ((i < region.from || i >= region.to) && children[i].hasError) return null;
  }
  const delta = edit.newEnd - edit.oldEnd;
  const end = region.end + delta;
  if (end - region.start > MAX_REGION_CHARS) return null;
  const lines = text.slice(region.start, end);
  // The lines must still end with a line break, and not continue onto the next line with a backslash.
  if (end < text.length && !/[\r\n]$/.test(lines)) return null;
  if (/\\\r?\n?$/.test(lines)) return null;
  const tree = parse(lines);
  try {
    if (!startsEveryStatementAtColumnZero(tree)) return null;
    // A file left without statements: the root's extent is tree-sitter's to say.
    if (tree.rootNode.childCount === 0 && region.from === 0 && region.to === root.children.length) return null;
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

/** The old text's whole lines [start, end) that the edit lies in, and the root's children [from, to) on them. */
interface Region {
  start: number;
  end: number;
  from: number;
  to: number;
}

function editedRegion(root: SyntaxNode, edit: TextSpanEdit): Region | null {
  const children = root.children;
  const source = root.source;
  const text = source.text;
  const starts = source.lineStarts;
  let firstRow = lineIndexOf(starts, edit.start);
  let lastRow = lineIndexOf(starts, edit.oldEnd);
  // The children on those rows: the first that ends on them or after, then every one that starts on them; a child
  // that reaches past them brings its own rows in.
  let from = firstEndingAtOrAfter(children, starts[firstRow]);
  while (from < children.length && children[from].endPosition.row < firstRow) from++;
  let to = from;
  while (to < children.length && children[to].startPosition.row <= lastRow) {
    const child = children[to];
    firstRow = Math.min(firstRow, child.startPosition.row);
    lastRow = Math.max(lastRow, child.endPosition.row);
    to++;
  }
  if (from < to && children[from].startPosition.column !== 0) return null;
  const start = starts[firstRow];
  const end = lastRow + 1 < starts.length ? starts[lastRow + 1] : text.length;
  // Before: the statement before ends on an earlier line, with nothing but blank lines after it.
  const before = children[from - 1];
  if (before) {
    if (before.type === 'line_continuation') return null;
    if (!BLANK.test(text.slice(before.endIndex, start))) return null;
  }
  // After: blank lines, then a statement or a comment at column 0.
  const after = children[to];
  if (after) {
    if (after.type === 'line_continuation' || after.startPosition.column !== 0) return null;
    if (!BLANK.test(text.slice(end, after.startIndex))) return null;
  } else if (!BLANK.test(text.slice(end, text.length))) return null;
  if (edit.start < start || edit.oldEnd > end) return null;
  return { start, end, from, to };
}

/** The index of the first child that ends at `offset` or after (children are in text order). */
function firstEndingAtOrAfter(children: readonly SyntaxNode[], offset: number): number {
  let lo = 0;
  let hi = children.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (children[mid].endIndex < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The text parsed without syntax errors into statements and comments that all start at column 0. */
function startsEveryStatementAtColumnZero(tree: Tree): boolean {
  const root = tree.rootNode;
  if (root.hasError) return false;
  for (let i = 0; i < root.childCount; i++) if (root.child(i)?.startPosition.column !== 0) return false;
  return true;
}
