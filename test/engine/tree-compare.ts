// Comparing the engine's copy of a syntax tree (server/engine/syntax-tree.ts) with tree-sitter's own nodes, for the
// tests of the copy and of what keeps it current after edits.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Node as TreeSitterNode } from 'web-tree-sitter';
import { SourceFile } from '../../server/engine/parser';
import type { SyntaxNode } from '../../server/engine/syntax-tree';

export function pythonFiles(dir: string, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) pythonFiles(full, out);
    else if (e.name.endsWith('.py')) out.push(full);
  }
  return out.sort();
}

/** Every field name of the Python grammar that the engine reads. */
const FIELDS = [
  'alias',
  'alternative',
  'argument',
  'arguments',
  'attribute',
  'body',
  'condition',
  'consequence',
  'definition',
  'function',
  'key',
  'left',
  'module_name',
  'name',
  'object',
  'operator',
  'parameters',
  'return_type',
  'right',
  'subscript',
  'superclasses',
  'type',
  'value',
];

/** The differences between the copy and tree-sitter's tree, one line each (the first few). */
export function differences(copy: SyntaxNode, original: TreeSitterNode, text: string): string[] {
  const out: string[] = [];
  const say = (node: TreeSitterNode, what: string) => out.push(`${node.type} at ${node.startIndex}: ${what}`);
  const stack: [SyntaxNode, TreeSitterNode][] = [[copy, original]];
  while (stack.length > 0 && out.length < 5) {
    const [a, b] = stack.pop()!;
    for (const key of [
      'type',
      'isNamed',
      'isMissing',
      'isError',
      'hasError',
      'startIndex',
      'endIndex',
      'text',
    ] as const)
      if (a[key] !== b[key]) say(b, `${key} ${String(a[key])} ≠ ${String(b[key])}`);
    for (const key of ['startPosition', 'endPosition'] as const)
      if (a[key].row !== b[key].row || a[key].column !== b[key].column)
        say(b, `${key} ${JSON.stringify(a[key])} ≠ ${JSON.stringify(b[key])}`);
    for (const field of FIELDS) {
      const x = a.childForFieldName(field);
      const y = b.childForFieldName(field);
      if (x?.startIndex !== y?.startIndex || x?.type !== y?.type) say(b, `field ${field}: ${x?.type} ≠ ${y?.type}`);
      if (a.childrenForFieldName(field).length !== b.childrenForFieldName(field).length) say(b, `fields ${field}`);
    }
    if (a.namedChildCount !== b.namedChildCount) say(b, 'named children');
    const children = b.children.filter((c): c is TreeSitterNode => c !== null);
    if (a.children.length !== children.length) {
      say(b, `${a.children.length} ≠ ${children.length} children`);
      continue;
    }
    children.forEach((c, i) => {
      stack.push([a.children[i], c]);
      if (a.children[i].parent !== a || a.children[i].indexInParent !== i) say(c, 'parent');
    });
  }
  // The node an offset falls in, as hover and noqa look it up.
  for (let i = 0; i < text.length && out.length < 5; i += 13) {
    const x = copy.descendantForIndex(i);
    const y = original.descendantForIndex(i);
    if (x.startIndex !== y?.startIndex || x.endIndex !== y.endIndex || x.type !== y.type)
      out.push(`descendantForIndex(${i}): ${x.type} ≠ ${y?.type}`);
  }
  return out;
}

/** A deterministic pseudo-random sequence, so a failure can be replayed. */
export function* rng(seed: number): Generator<number> {
  for (;;) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    yield seed / 0x7fffffff;
  }
}

/** The differences between two copies of a tree (a kept-current one and a fresh one), one line each (the first few). */
export function copyDifferences(kept: SyntaxNode, fresh: SyntaxNode): string[] {
  const out: string[] = [];
  const stack: [SyntaxNode, SyntaxNode][] = [[kept, fresh]];
  while (stack.length > 0 && out.length < 5) {
    const [a, b] = stack.pop()!;
    const say = (what: string) => out.push(`${b.type} at ${b.startIndex} (row ${b.startPosition.row}): ${what}`);
    for (const key of ['type', 'fieldName', 'isNamed', 'isMissing', 'hasError', 'startIndex', 'endIndex'] as const)
      if (a[key] !== b[key]) say(`${key} ${String(a[key])} ≠ ${String(b[key])}`);
    for (const key of ['startPosition', 'endPosition'] as const)
      if (a[key].row !== b[key].row || a[key].column !== b[key].column)
        say(`${key} ${JSON.stringify(a[key])} ≠ ${JSON.stringify(b[key])}`);
    if (a.text !== b.text) say('text');
    if (a.children.length !== b.children.length) {
      say(`${a.children.length} ≠ ${b.children.length} children`);
      continue;
    }
    a.children.forEach((c, i) => {
      if (c.parent !== a || c.indexInParent !== i) say(`child ${i}: parent`);
      stack.push([c, b.children[i]]);
    });
  }
  return out;
}

/** One random edit as an editor sends it: up to `maxDeleted - 1` characters replaced by one of `inserts`. */
export function applyRandomEdit(
  file: SourceFile,
  r: Generator<number>,
  inserts: readonly string[],
  maxDeleted: number,
) {
  const start = Math.floor(r.next().value * (file.text.length + 1));
  const end = Math.min(file.text.length, start + Math.floor(r.next().value * maxDeleted));
  const text = inserts[Math.floor(r.next().value * inserts.length)];
  file.applyChange({ start: file.positionAt(start), end: file.positionAt(end) }, text);
}

/** A file of real code parsed and copied, or null past the parse limits (never analysed: nothing to edit). */
export function parsedFile(source: string): SourceFile | null {
  let file: SourceFile | undefined;
  try {
    file = new SourceFile(fs.readFileSync(source, 'utf8'));
    void file.root;
    return file;
  } catch {
    file?.dispose();
    return null;
  }
}
