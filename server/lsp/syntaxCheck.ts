import { Parser, type Edit, type Point, type Tree } from 'web-tree-sitter';
import type { SourceFile } from '../engine/parser';
import { walk } from '../engine/syntax';
import type { TextEdit } from '../engine/types';

/**
 * Syntax errors in a tree: ERROR and MISSING nodes, the same count as the engine's `syntaxErrorCount`. A fix is
 * offered only if it does not raise this number.
 */
export function errorCount(tree: Tree): number {
  if (!tree.rootNode.hasError) return 0;
  let n = 0;
  walk(tree.rootNode, (node) => {
    if (node.isError || node.isMissing) n++;
    return node.hasError;
  });
  return n;
}

let checker: Parser | undefined;

/**
 * Parses `after` (the file's text with `edits` applied) starting from a copy of the file's tree, edited as the
 * editor would: an incremental re-parse, so checking a fix in a large file costs milliseconds rather than a full
 * parse. Edits must not overlap. The caller deletes the returned tree.
 */
export function parseEdited(file: SourceFile, edits: readonly TextEdit[], after: string): Tree {
  const copy = file.tree.copy();
  try {
    // From the last edit to the first, so each edit's positions are still those of the original text.
    const spans = edits
      .map((e) => ({ start: file.offsetAt(e.range.start), end: file.offsetAt(e.range.end), text: e.newText }))
      .sort((a, b) => b.start - a.start);
    for (const span of spans) {
      const startPosition = toPoint(file.positionAt(span.start));
      const edit: Edit = {
        startIndex: span.start,
        oldEndIndex: span.end,
        newEndIndex: span.start + span.text.length,
        startPosition,
        oldEndPosition: toPoint(file.positionAt(span.end)),
        newEndPosition: advance(startPosition, span.text),
      };
      copy.edit(edit);
    }
    checker ??= new Parser();
    checker.setLanguage(file.tree.language);
    const tree = checker.parse(after, copy);
    if (!tree) throw new Error('tree-sitter returned no tree');
    return tree;
  } finally {
    copy.delete();
  }
}

function toPoint(p: { line: number; character: number }): Point {
  return { row: p.line, column: p.character };
}

/** The point after inserting `text` at `start`. */
function advance(start: Point, text: string): Point {
  const lastBreak = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
  if (lastBreak < 0) return { row: start.row, column: start.column + text.length };
  const breaks = text.match(/\r\n|\r|\n/g)!.length;
  return { row: start.row + breaks, column: text.length - lastBreak - 1 };
}
