// The syntax tree the engine reads: a copy of tree-sitter's visible nodes as plain JS objects, made with one cursor
// pass after each parse. Every property of a web-tree-sitter node is a call into wasm (its arguments copied into
// wasm memory, its result a new JS object), and the rules read tens of properties per node: on real model code that
// boundary took most of the check's time, several times the parse itself. The copy answers the same questions
// (type, text, fields, parent, positions) with the meaning tree-sitter gives them, which
// test/engine/syntax-tree.test.ts compares node by node against tree-sitter's own answers.
import type { Point, Tree } from 'web-tree-sitter';
import type { TextSource } from './text-pieces';
import { DirectCursor } from './tree-cursor';

let nextId = 1;

const NO_CHILDREN: readonly SyntaxNode[] = Object.freeze([]);

/**
 * What all nodes of one tree share: the text tree-sitter parsed and its line starts, for positions. A copy made
 * after an edit takes it over from the copy before, with the new text, for the statements it takes over.
 */
interface TreeText {
  /** What the nodes' `text` slices: a string, or the pieces of an edited document, joined only when asked. */
  text: TextSource;
  lineStarts: readonly number[];
}

/**
 * Where the nodes of one top-level statement lie: their offsets are kept relative to it, so that moving a statement
 * after an edit moves all its nodes at once. `moves` counts the moves, which make cached positions stale.
 */
class Placement {
  offset = 0;
  moves = 0;
  /** What all nodes of the tree share, which a copy after an edit takes over with the statement. */
  constructor(readonly source: TreeText) {}
}

/** The positions a node was asked for, valid while its placement has not moved since `at`. */
interface Positions {
  start?: Point;
  end?: Point;
  at: number;
}

const NAMED = 1;
const MISSING = 2;
const ERROR = 4;

/** `ownText`'s copies, for the few nodes asked (statements and definitions): most nodes never are. */
const ownTexts = new WeakMap<SyntaxNode, string>();

export class SyntaxNode {
  /** Unique among all nodes this process made; maps key on it. */
  readonly id = nextId++;
  parent: SyntaxNode | null = null;
  /** Leaves (most nodes) share one empty list; copyTree gives a node its own list once it has all its children. */
  children: readonly SyntaxNode[] = NO_CHILDREN;
  /** The field that holds this node in its parent (`name`, `body`…), or null. */
  fieldName: string | null = null;
  /** Position in the parent's `children`. */
  indexInParent = 0;
  // A tree has millions of nodes on a large workspace, and each field costs every one of them: flags in one number,
  // caches in one object made when first asked for.
  private flags: number;
  private named: readonly SyntaxNode[] | undefined;
  private positions: Positions | undefined;
  private readonly relativeStart: number;
  private readonly relativeEnd: number;

  constructor(
    readonly type: string,
    isNamed: boolean,
    isMissing: boolean,
    startIndex: number,
    endIndex: number,
    /** Shared by the nodes of one top-level statement; copyTree moves it after an edit. */
    private readonly placement: Placement,
  ) {
    this.flags = (isNamed ? NAMED : 0) | (isMissing ? MISSING : 0);
    this.relativeStart = startIndex - placement.offset;
    this.relativeEnd = endIndex - placement.offset;
  }

  get isNamed(): boolean {
    return (this.flags & NAMED) !== 0;
  }

  get isMissing(): boolean {
    return (this.flags & MISSING) !== 0;
  }

  /** An ERROR or MISSING node lies in it; set by copyTree. */
  get hasError(): boolean {
    return (this.flags & ERROR) !== 0;
  }

  set hasError(value: boolean) {
    this.flags = value ? this.flags | ERROR : this.flags & ~ERROR;
  }

  /** Shared by the tree's nodes; copyTree hands it on to the copy after an edit. */
  get source(): TreeText {
    return this.placement.source;
  }

  get startIndex(): number {
    return this.relativeStart + this.placement.offset;
  }

  get endIndex(): number {
    return this.relativeEnd + this.placement.offset;
  }

  /**
   * Moves a top-level statement and everything below it by `delta` characters (and so, maybe, to other rows): one
   * change to the placement its nodes share.
   */
  move(delta: number): void {
    this.placement.offset += delta;
    this.placement.moves++;
  }

  get text(): string {
    return this.source.text.slice(this.startIndex, this.endIndex);
  }

  /**
   * The text as a string of its own, made once: a node's text never changes, and a node the next copy takes over
   * then hands the same string to the maps keyed by it, which hash a string once (every statement's text is such a
   * key after each edit). A copy, not a slice, which would keep the whole file of its day alive. For statements and
   * definitions, whose texts the caches key on.
   */
  get ownText(): string {
    let text = ownTexts.get(this);
    if (text === undefined) ownTexts.set(this, (text = Buffer.from(this.text, 'utf16le').toString('utf16le')));
    return text;
  }

  get isError(): boolean {
    return this.type === 'ERROR';
  }

  get startPosition(): Point {
    const positions = this.currentPositions();
    positions.start ??= pointAt(this.source.lineStarts, this.startIndex);
    return positions.start;
  }

  /**
   * `startPosition.row`, found without caching a position: the analyzer asks it of every statement after every edit,
   * and each statement after the edit has moved, so each would otherwise get a new cached position.
   */
  get startRow(): number {
    return lineIndexOf(this.source.lineStarts, this.startIndex);
  }

  get endPosition(): Point {
    const positions = this.currentPositions();
    positions.end ??= pointAt(this.source.lineStarts, this.endIndex);
    return positions.end;
  }

  /** The cached positions, dropped when the placement moved since (rows may change with it). */
  private currentPositions(): Positions {
    const moves = this.placement.moves;
    if (this.positions?.at !== moves) this.positions = { at: moves };
    return this.positions;
  }

  get childCount(): number {
    return this.children.length;
  }

  get namedChildren(): readonly SyntaxNode[] {
    this.named ??= this.children.filter((c) => c.isNamed);
    return this.named;
  }

  get namedChildCount(): number {
    return this.namedChildren.length;
  }

  child(index: number): SyntaxNode | null {
    return this.children[index] ?? null;
  }

  namedChild(index: number): SyntaxNode | null {
    return this.namedChildren[index] ?? null;
  }

  get firstChild(): SyntaxNode | null {
    return this.children[0] ?? null;
  }

  get lastChild(): SyntaxNode | null {
    return this.children[this.children.length - 1] ?? null;
  }

  get firstNamedChild(): SyntaxNode | null {
    return this.namedChildren[0] ?? null;
  }

  get lastNamedChild(): SyntaxNode | null {
    const named = this.namedChildren;
    return named[named.length - 1] ?? null;
  }

  get nextSibling(): SyntaxNode | null {
    return this.parent?.children[this.indexInParent + 1] ?? null;
  }

  get previousSibling(): SyntaxNode | null {
    return this.parent?.children[this.indexInParent - 1] ?? null;
  }

  get nextNamedSibling(): SyntaxNode | null {
    const siblings = this.parent?.children ?? [];
    for (let i = this.indexInParent + 1; i < siblings.length; i++) if (siblings[i].isNamed) return siblings[i];
    return null;
  }

  get previousNamedSibling(): SyntaxNode | null {
    const siblings = this.parent?.children ?? [];
    for (let i = this.indexInParent - 1; i >= 0; i--) if (siblings[i].isNamed) return siblings[i];
    return null;
  }

  /** The first child in the field, as tree-sitter's `childForFieldName`. */
  childForFieldName(field: string): SyntaxNode | null {
    // An index, not for-of: called for nearly every node read, and an iterator allocates where it is not optimized.
    const children = this.children;
    for (let i = 0; i < children.length; i++) if (children[i].fieldName === field) return children[i];
    return null;
  }

  childrenForFieldName(field: string): readonly SyntaxNode[] {
    return this.children.filter((c) => c.fieldName === field);
  }

  /**
   * The smallest node that spans [start, end], as tree-sitter's `descendantForIndex`: a child is entered when it
   * reaches the range's end and passes its start (an empty child when it touches it).
   */
  descendantForIndex(start: number, end = start): SyntaxNode {
    let node: SyntaxNode = this;
    for (;;) {
      let next: SyntaxNode | undefined;
      for (const child of node.children) {
        if (child.endIndex < end) continue;
        const empty = child.startIndex === child.endIndex;
        if (empty ? child.endIndex < start : child.endIndex <= start) continue;
        if (start < child.startIndex) break;
        next = child;
        break;
      }
      if (!next) return node;
      node = next;
    }
  }

  descendantForPosition(point: Point): SyntaxNode {
    const starts = this.source.lineStarts;
    const line = Math.min(point.row, starts.length - 1);
    return this.descendantForIndex(Math.min(starts[line] + point.column, this.source.text.length));
  }
}

const DEFINITIONS: ReadonlySet<string> = new Set(['class_definition', 'function_definition']);

/** The index of the line holding `offset`, given the offsets where lines start (a binary search). */
export function lineIndexOf(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function pointAt(starts: readonly number[], offset: number): Point {
  const row = lineIndexOf(starts, offset);
  return { row, column: offset - starts[row] };
}

/** One edit, in offsets: [start, oldEnd) of the old text became [start, newEnd) of the new one. */
export interface TextSpanEdit {
  start: number;
  oldEnd: number;
  newEnd: number;
}

/** The one edit that does what `first` and then `second` (in the text `first` made) do: the span both changed. */
export function composeSpanEdits(first: TextSpanEdit, second: TextSpanEdit): TextSpanEdit {
  // A position of the text between the edits, in the text before both, and in the text after both.
  const before = (p: number) =>
    p <= first.start ? p : p >= first.newEnd ? p - first.newEnd + first.oldEnd : first.oldEnd;
  const after = (p: number) =>
    p <= second.start ? p : p >= second.oldEnd ? p - second.oldEnd + second.newEnd : second.newEnd;
  return {
    start: Math.min(first.start, second.start),
    oldEnd: Math.max(first.oldEnd, before(second.oldEnd)),
    newEnd: Math.max(second.newEnd, after(first.newEnd)),
  };
}

export interface CopyOptions {
  /** Leave the bodies of classes and functions empty, for readers of a module's top level: most nodes are there. */
  topLevelOnly?: boolean;
  /**
   * The copy of the tree before one edit. Its top-level statements the edit did not touch, which tree-sitter parsed
   * to the same type and extent, are taken over (moved by the edit's length) rather than copied again: an edit in
   * a large file then costs the copy of one statement. Only statements without a syntax error in either tree: a
   * top-level statement that parses without one was parsed from the start of a module's statement, where its text
   * alone decides its parse, whatever error recovery did elsewhere in the file.
   */
  previous?: { root: SyntaxNode; edit: TextSpanEdit };
  /** Levels below the root past which the copy stops with TreeTooDeep (the engine's readers recurse on depth). */
  maxDepth?: number;
  /**
   * The tree is of a slice of a file's text that starts at `offset` (server/engine/statement-reparse.ts): its nodes
   * are placed in the file, reading the file's text and line starts through `source`, the file copy's own.
   */
  at?: { source: TreeText; offset: number };
}

/** Thrown by copyTree when the tree is deeper than its maxDepth. */
export class TreeTooDeep extends Error {}

/**
 * Copies `tree`'s visible nodes. `text` is the text tree-sitter parsed (server/engine/parser.ts parserText), which
 * `node.text` reads as web-tree-sitter's does; `lineStarts` are the offsets its rows start at, which are the LSP
 * lines of the original text (parserText turns a lone \r into \n).
 */
export function copyTree(
  tree: Tree,
  text: TextSource,
  lineStarts: readonly number[],
  options: CopyOptions = {},
): SyntaxNode {
  const language = tree.language;
  const named = new Map<number, boolean>();
  const isNamed = (typeId: number) => {
    let known = named.get(typeId);
    if (known === undefined) named.set(typeId, (known = language.nodeTypeIsNamed(typeId)));
    return known;
  };
  // A node has an error when an ERROR or MISSING node lies below it, hidden ones included: only tree-sitter
  // knows about hidden ones, so a tree with errors asks it for every node.
  const errors = tree.rootNode.hasError;
  const previous = options.previous;
  const reusable = previous ? untouchedStatements(previous.root, previous.edit) : new Map<number, Untouched>();
  const source: TreeText = options.at?.source ?? (previous ? previous.root.source : { text, lineStarts });
  const shift = options.at?.offset ?? 0;
  source.text = text;
  source.lineStarts = lineStarts;
  const maxDepth = options.maxDepth ?? Number.POSITIVE_INFINITY;
  const cursor = new DirectCursor(tree);
  let placement = new Placement(source);
  const make = (c: DirectCursor): SyntaxNode => {
    const typeId = c.typeId;
    const start = c.startIndex + shift;
    const end = c.endIndex + shift;
    // Only an empty node can be a missing one: ask tree-sitter only then.
    const missing = start === end && c.isMissing;
    return new SyntaxNode(language.types[typeId] ?? 'ERROR', isNamed(typeId), missing, start, end, placement);
  };
  try {
    const root = make(cursor);
    if (errors) root.hasError = true;
    // The children of the nodes being filled, innermost last, each list from `firsts` on: a node gets its list, of
    // its exact length, when it is complete (a list grown by push would keep room for 17, and most nodes have 2 or 3).
    const filling: SyntaxNode[] = [];
    const firsts: number[] = [];
    const complete = () => {
      const first = firsts.pop()!;
      const node = first === 0 ? root : filling[first - 1];
      node.children = filling.slice(first);
      filling.length = first;
      return node;
    };
    const completeAll = () => {
      while (firsts.length > 0) complete();
      return root;
    };
    let current = root;
    let skipChildren = false;
    for (;;) {
      let parent: SyntaxNode;
      const enter =
        !skipChildren &&
        !(options.topLevelOnly && current.fieldName === 'body' && DEFINITIONS.has(current.parent?.type ?? ''));
      if (enter && cursor.gotoFirstChild()) {
        // `current` is the last node in `filling` (root is in none): the owner of the list that starts after it.
        parent = current;
        if (firsts.push(filling.length) > maxDepth) throw new TreeTooDeep(`deeper than ${maxDepth} levels`);
      } else {
        // No child: the next sibling of this node or of its nearest ancestor that has one.
        let at = current;
        while (!cursor.gotoNextSibling()) {
          if (at.parent === null || !cursor.gotoParent()) return completeAll();
          at = complete();
        }
        if (at.parent === null) return completeAll();
        parent = at.parent;
      }
      // Each top-level statement is placed on its own, so that the next copy can move it as a whole.
      if (parent === root) placement = new Placement(source);
      let node = make(cursor);
      skipChildren = false;
      if (parent === root && previous) {
        const old = reusable.get(node.startIndex);
        if (
          old &&
          old.stmt.type === node.type &&
          old.stmt.endIndex + old.delta === node.endIndex &&
          !old.stmt.hasError &&
          !(errors && cursor.hasError)
        ) {
          // Rows may change after the edit even when its length does not: positions are read again.
          if (old.afterEdit) old.stmt.move(old.delta);
          // A module's child has no field, except in a tree with errors, where recovery may hand it one.
          old.stmt.fieldName = language.fields[cursor.fieldId] ?? null;
          node = old.stmt;
          skipChildren = true;
        }
      }
      if (!skipChildren) {
        const fieldId = cursor.fieldId;
        if (fieldId) node.fieldName = language.fields[fieldId] ?? null;
        if (errors) node.hasError = cursor.hasError;
      }
      node.parent = parent;
      node.indexInParent = filling.length - firsts[firsts.length - 1];
      filling.push(node);
      current = node;
    }
  } finally {
    cursor.delete();
  }
}

/**
 * The root of a copy after an edit that changed only the top-level statements `[from, to)` of `root`'s children,
 * which become `replacement` (copied with `at` from a parse of their text alone): the statements after them move by
 * `delta`, the length the edit added. `source` must already hold the edited text and its line starts.
 */
export function replaceTopLevel(
  root: SyntaxNode,
  from: number,
  to: number,
  replacement: readonly SyntaxNode[],
  delta: number,
): SyntaxNode {
  const source = root.source;
  const after = root.children.slice(to);
  for (const stmt of after) stmt.move(delta);
  const children = [...root.children.slice(0, from), ...replacement, ...after];
  // A module starts where its first statement or comment does, and ends with the text.
  const start = from === 0 && children.length > 0 ? children[0].startIndex : root.startIndex;
  const next = new SyntaxNode(root.type, true, false, start, source.text.length, new Placement(source));
  children.forEach((stmt, i) => {
    stmt.parent = next;
    stmt.fieldName = null;
    stmt.indexInParent = i;
  });
  next.children = children;
  return next;
}

/** An old top-level statement an edit leaves alone, and how far the edit moves it (0 before it). */
interface Untouched {
  stmt: SyntaxNode;
  afterEdit: boolean;
  delta: number;
}

/**
 * The old top-level statements an edit leaves alone, by where they start after it. A statement that touches the
 * edit (ends where it starts, starts where it ends) is not one: the edit may extend it.
 */
function untouchedStatements(root: SyntaxNode, edit: TextSpanEdit): Map<number, Untouched> {
  const out = new Map<number, Untouched>();
  const delta = edit.newEnd - edit.oldEnd;
  for (const stmt of root.children)
    if (stmt.endIndex < edit.start) out.set(stmt.startIndex, { stmt, afterEdit: false, delta: 0 });
    else if (stmt.startIndex > edit.oldEnd) out.set(stmt.startIndex + delta, { stmt, afterEdit: true, delta });
  return out;
}
