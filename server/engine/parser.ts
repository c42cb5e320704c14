import * as fs from 'node:fs';
import * as path from 'node:path';
import { Language, Parser, type Edit, type Point, type Tree } from 'web-tree-sitter';
import {
  composeSpanEdits,
  copyTree,
  lineIndexOf,
  TreeTooDeep,
  type CopyOptions,
  type SyntaxNode,
  type TextSpanEdit,
} from './syntax-tree';
import { changedSpan } from './changed-span';
import { reparseStatement } from './statement-reparse';
import { TextPieces, type TextSource } from './text-pieces';
import { TextMentions } from './text-search';
import { bindCursorRuntime } from './tree-cursor';
import type { Position, Range, TextEdit } from './types';

/** A node of the tree the engine reads (server/engine/syntax-tree.ts). */
export type Node = SyntaxNode;
export type { Tree };

const RUNTIME_WASM = 'tree-sitter.wasm';
const PYTHON_WASM = 'tree-sitter-python.wasm';

let python: Language | undefined;
let initializing: Promise<void> | undefined;

/**
 * Where the two wasm files live: next to the bundle in `dist/` (and in the packaged .vsix), or in
 * node_modules when the sources run directly under tsx.
 */
function wasmCandidates(): string[] {
  const dirs = [__dirname, path.join(__dirname, '..', '..', 'dist')];
  try {
    dirs.push(path.dirname(require.resolve('web-tree-sitter')));
    dirs.push(path.dirname(require.resolve('tree-sitter-python/package.json')));
  } catch {
    // Not resolvable inside the bundle; the dist folder is then the only place.
  }
  return dirs;
}

function locate(file: string): string {
  for (const dir of wasmCandidates()) {
    const candidate = path.join(dir, file);
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(
    `Reglens cannot find ${file} (looked in ${wasmCandidates().join(', ')}); reinstall the extension or run \`npm ` +
      `run build\`.`,
  );
}

/** Loads the tree-sitter runtime and the Python grammar once per process. */
export function initParser(): Promise<void> {
  initializing ??= (async () => {
    const runtime = locate(RUNTIME_WASM);
    // Emscripten fills the object it is given with the runtime's exports, which the tree copy's cursor calls.
    const binding = { locateFile: () => runtime };
    await Parser.init(binding);
    bindCursorRuntime(binding);
    python = await Language.load(fs.readFileSync(locate(PYTHON_WASM)));
  })();
  return initializing;
}

let sharedParser: Parser | undefined;

function parser(): Parser {
  if (!python) throw new Error('initParser() must complete before parsing');
  if (!sharedParser) {
    sharedParser = new Parser();
    sharedParser.setLanguage(python);
  }
  return sharedParser;
}

/** Offsets of the first character of every line; lines end at \n, \r\n or a lone \r, as in LSP. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return starts;
}

/** The line and character of `offset`, given the text's `lineStarts`. */
export function positionIn(starts: readonly number[], offset: number): Position {
  const line = lineIndexOf(starts, offset);
  return { line, character: offset - starts[line] };
}

/**
 * Line starts after replacing [start, oldEnd) with `insertedLength` characters. A line start is one past a break
 * character (\n, or \r not followed by \n). Breaks before start-1 are unchanged, breaks at or after oldEnd+1 are
 * shifted, and the breaks in between (including a \r\n the edit splits or joins) are found by rescanning.
 */
function updateLineStarts(
  starts: number[],
  text: TextSource,
  start: number,
  oldEnd: number,
  insertedLength: number,
): number[] {
  const delta = insertedLength - (oldEnd - start);
  // The starts are sorted: those kept are a prefix, those shifted a suffix, found by binary search.
  const out = starts.slice(0, firstAtLeast(starts, start));
  if (out.length === 0) out.push(0);
  const scanEnd = Math.min(text.length - 1, start + insertedLength);
  for (let i = Math.max(0, start - 1); i <= scanEnd; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) out.push(i + 1);
  }
  for (let i = firstAtLeast(starts, oldEnd + 2); i < starts.length; i++) out.push(starts[i] + delta);
  return out;
}

/** The index of the first of the sorted `values` that is at least `min` (their length when none is). */
function firstAtLeast(values: readonly number[], min: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid] < min) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A Python document with its syntax tree. Edits re-parse incrementally: the old tree is edited in place
 * and handed to the parser, which reuses every subtree the edit did not touch.
 * Trees live in wasm memory, so `dispose()` must be called when the document goes away.
 */
export class SourceFile {
  /** The text, as pieces after edits (text-pieces.ts): `text` joins them only when asked. */
  private content: TextPieces;
  /** What tree-sitter parses and the copy's nodes read: the content, repaired when it must be (parserText). */
  private input: TextPieces;
  /**
   * tree-sitter's tree, in wasm memory: what incremental parses start from. The engine reads `root`. Behind the text
   * by `pending` after edits that statement-reparse.ts put in the copy alone; `tree` catches up when read.
   */
  private parsed: Tree;
  private pending: Edit[] = [];
  /** The next parse of `parsed` must start afresh (an edit after a \r, or a parse that failed half-way). */
  private fresh = false;
  private starts: number[];
  /** The copy of `tree` the engine reads, made on first use after each parse. */
  private copied: SyntaxNode | undefined;
  /** The copy before the one edit since, whose untouched statements the next copy takes over. */
  private beforeEdit: { root: SyntaxNode; edit: TextSpanEdit } | undefined;
  /** Bumped on every change; analysis caches compare it. */
  version = 0;
  /** Edits whose statement was parsed alone (statement-reparse.ts), for benchmarks and tests. */
  statementsReparsed = 0;
  private readonly found = new TextMentions();

  constructor(text: string) {
    this.content = TextPieces.of(text);
    this.input = this.parserInput();
    this.starts = lineStarts(text);
    this.parsed = parseOrThrow(this.input);
  }

  /** tree-sitter's tree of the current text. */
  get tree(): Tree {
    if (this.pending.length > 0 || this.fresh) {
      const old = this.parsed;
      if (!this.fresh) for (const edit of this.pending) old.edit(edit);
      this.pending = [];
      // Should the parse throw, the edited tree left behind no longer matches any text.
      const fresh = this.fresh;
      this.fresh = true;
      this.parsed = parseOrThrow(this.input, fresh ? undefined : old);
      this.fresh = false;
      old.delete();
    }
    return this.parsed;
  }

  /** Does the text have a syntax error? Answered by the copy when there is one, without catching the tree up. */
  get hasSyntaxError(): boolean {
    return this.copied ? this.copied.hasError : this.tree.rootNode.hasError;
  }

  /** Syntax errors in the text: ERROR and MISSING nodes. */
  syntaxErrorCount(): number {
    return this.hasSyntaxError ? treeErrorCount(this.tree) : 0;
  }

  /** The whole text as one string. */
  get text(): string {
    return this.content.toString();
  }

  /** The text's length, without joining its pieces. */
  get length(): number {
    return this.content.length;
  }

  /**
   * The root of the syntax tree (server/engine/syntax-tree.ts). Throws ParseLimit for a tree deeper than
   * MAX_TREE_DEPTH, which the copy measures as it goes.
   */
  get root(): SyntaxNode {
    if (!this.copied) {
      // Taken before the copy: one that throws (a tree too deep) may have moved some of its statements already.
      const previous = this.beforeEdit;
      this.beforeEdit = undefined;
      this.copied = this.copy({ previous });
    }
    return this.copied;
  }

  /** The module's top level alone: the root with the bodies of its classes and functions left empty. */
  topLevel(): SyntaxNode {
    return this.copied ?? this.copy({ topLevelOnly: true });
  }

  private copy(options: CopyOptions): SyntaxNode {
    try {
      return copyTree(this.tree, this.input, this.starts, { ...options, maxDepth: MAX_TREE_DEPTH });
    } catch (e) {
      if (e instanceof TreeTooDeep)
        throw new ParseLimit(
          `it is nested more than ${MAX_TREE_DEPTH} levels deep (brackets past CPython's limit of 200, or an ` +
            'expression chaining a thousand operators)',
        );
      throw e;
    }
  }

  /**
   * Does `pattern` match somewhere in the text? As `pattern.test(text)`, but for a short pattern that reads no context
   * (server/engine/text-search.ts), an edit is followed by a search around the edit only.
   */
  mentions(pattern: RegExp): boolean {
    return this.found.mentions(this.content, pattern);
  }

  /** The parser's text for the current content; whether it needs repairs is known across edits (`mentions`). */
  private parserInput(): TextPieces {
    return parserText(this.content, this.mentions(NEEDS_REPAIR));
  }

  get lineCount(): number {
    return this.starts.length;
  }

  offsetAt(pos: Position): number {
    if (pos.line < 0) return 0;
    if (pos.line >= this.starts.length) return this.content.length;
    const lineStart = this.starts[pos.line];
    const nextStart = pos.line + 1 < this.starts.length ? this.starts[pos.line + 1] : this.content.length;
    let lineEnd = nextStart;
    // The position may not point past the line's own break.
    while (
      lineEnd > lineStart &&
      (this.content.charCodeAt(lineEnd - 1) === 10 || this.content.charCodeAt(lineEnd - 1) === 13)
    )
      lineEnd--;
    return Math.min(lineStart + Math.max(0, pos.character), lineEnd);
  }

  positionAt(offset: number): Position {
    return positionIn(this.starts, Math.max(0, Math.min(offset, this.content.length)));
  }

  lineText(line: number): string {
    if (line < 0 || line >= this.starts.length) return '';
    const end = line + 1 < this.starts.length ? this.starts[line + 1] : this.content.length;
    return this.content.slice(this.starts[line], end).replace(/\r?\n$|\r$/, '');
  }

  /** Applies one LSP content change; `range` undefined means the whole text is replaced. */
  applyChange(range: Range | undefined, newText: string): void {
    this.version++;
    if (!range) {
      this.replaceAll(newText);
      return;
    }
    const startIndex = this.offsetAt(range.start);
    const oldEndIndex = Math.max(startIndex, this.offsetAt(range.end));
    // A \r just before the edit is \n to tree-sitter while lone and \r once the edit puts a \n after it
    // (parserText): a change outside the edit that an incremental parse would not see, so parse afresh.
    const afterCarriageReturn = startIndex > 0 && this.content.charCodeAt(startIndex - 1) === 13;
    const startPosition = toPoint(this.positionAt(startIndex));
    const oldEndPosition = toPoint(this.positionAt(oldEndIndex));
    const text = this.content.edited(startIndex, oldEndIndex, newText);
    this.starts = updateLineStarts(this.starts, text, startIndex, oldEndIndex, newText.length);
    const newEndIndex = startIndex + newText.length;
    this.content = text;
    this.found.edited(text, startIndex, oldEndIndex, newEndIndex);
    this.input = this.parserInput();
    const edit: Edit = {
      startIndex,
      oldEndIndex,
      newEndIndex,
      startPosition,
      oldEndPosition,
      newEndPosition: toPoint(this.positionAt(newEndIndex)),
    };
    if (afterCarriageReturn) this.fresh = true;
    else this.pending.push(edit);
    const span = { start: startIndex, oldEnd: oldEndIndex, newEnd: newEndIndex };
    // The copy before this edit, or, after edits made while the copy was not read (a file with a syntax error is
    // analysed without one: recovery.ts), the last copy made and the one edit those edits and this one make.
    const base = afterCarriageReturn
      ? undefined
      : this.copied
        ? { root: this.copied, edit: span }
        : this.beforeEdit && { root: this.beforeEdit.root, edit: composeSpanEdits(this.beforeEdit.edit, span) };
    const baseText = base?.root.source.text;
    const reparsed = base
      ? reparseStatement(base.root, base.edit, this.input, this.starts, parseAlone, MAX_TREE_DEPTH)
      : null;
    if (reparsed) {
      this.statementsReparsed++;
      this.copied = reparsed;
      this.beforeEdit = undefined;
      // tree-sitter's tree catches up now and then: its parse after many edits across the file re-reads each place.
      if (this.pending.length >= MAX_PENDING_EDITS) void this.tree;
      return;
    }
    // The next copy takes over what the edits left of `base`, unless a failed re-parse already had it read this
    // text (a tree too deep to copy): its rows would no longer be those of the text it was made from.
    this.beforeEdit = base && base.root.source.text === baseText ? base : undefined;
    this.copied = undefined;
    void this.tree;
  }

  replaceAll(text: string): void {
    this.copied = undefined;
    this.beforeEdit = undefined;
    this.content = TextPieces.of(text);
    this.found.clear();
    this.input = this.parserInput();
    this.starts = lineStarts(text);
    this.pending = [];
    this.fresh = true;
    void this.tree;
  }

  /**
   * Parses `after` (this text with `edits` applied) from a copy of this tree edited as an editor would: an
   * incremental re-parse, so checking a fix in a large file costs milliseconds rather than a full parse. Edits
   * must not overlap. The caller deletes the returned tree.
   */
  parseEdited(edits: readonly TextEdit[], after: string): Tree {
    const copy = this.tree.copy();
    try {
      // From the last edit to the first, so each edit's positions are still those of the original text.
      const spans = edits
        .map((e) => ({ start: this.offsetAt(e.range.start), end: this.offsetAt(e.range.end), text: e.newText }))
        .sort((a, b) => b.start - a.start);
      const input = parserText(TextPieces.of(after), NEEDS_REPAIR.test(after));
      // As in applyChange: an edit right after a \r may change what that \r is to tree-sitter.
      if (spans.some((span) => span.start > 0 && this.content.charCodeAt(span.start - 1) === 13))
        return parseOrThrow(input);
      for (const span of spans) {
        const startPosition = toPoint(this.positionAt(span.start));
        copy.edit({
          startIndex: span.start,
          oldEndIndex: span.end,
          newEndIndex: span.start + span.text.length,
          startPosition,
          oldEndPosition: toPoint(this.positionAt(span.end)),
          newEndPosition: advance(startPosition, span.text),
        });
      }
      return parseOrThrow(input, copy);
    } finally {
      copy.delete();
    }
  }

  /**
   * The last `withBlankedLines` file, which the next call edits; kept after the damage is mended (the next syntax
   * error, typed near the last, then costs an edit of it, not a fresh parse of the whole file); disposed with this
   * one.
   */
  private blanked: SourceFile | undefined;

  /**
   * This text with the given line ranges blanked out (every character but line breaks a space, so offsets and
   * positions stay), parsed and copied: the analyzer's recovery from a syntax error that swallows the statements
   * after it (recovery.ts). Each call edits the file the last one made, whose parse and copy then cost what an edit
   * costs, not a whole file's. The result belongs to this file, which disposes it; throws ParseLimit as
   * parseForAnalysis does.
   */
  withBlankedLines(ranges: readonly [number, number][]): SourceFile {
    let text = this.text;
    for (const [a, b] of ranges) {
      const start = this.offsetAt({ line: a, character: 0 });
      const end = this.offsetAt({ line: b, character: 0 });
      text = text.slice(0, start) + text.slice(start, end).replace(/[^\r\n]/g, ' ') + text.slice(end);
    }
    const kept = this.blanked;
    this.blanked = undefined;
    if (kept) {
      try {
        const span = changedSpan(kept.text, text);
        if (span) kept.applyChange({ start: kept.positionAt(span.start), end: kept.positionAt(span.end) }, span.text);
        void kept.root;
        this.blanked = kept;
        return kept;
      } catch (e) {
        kept.dispose();
        throw e;
      }
    }
    this.blanked = parseForAnalysis(text);
    return this.blanked;
  }

  dispose(): void {
    this.blanked?.dispose();
    this.blanked = undefined;
    this.parsed.delete();
  }
}

/**
 * A SourceFile whose tree is copied already, for a caller about to analyse it: text too deep to analyse then throws
 * ParseLimit here, as text too slow to parse does, and leaves nothing to dispose.
 */
export function parseForAnalysis(text: string): SourceFile {
  const file = new SourceFile(text);
  try {
    void file.root;
    return file;
  } catch (e) {
    file.dispose();
    throw e;
  }
}

/** The point after inserting `text` at `start`. */
function advance(start: Point, text: string): Point {
  const lastBreak = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
  if (lastBreak < 0) return { row: start.row, column: start.column + text.length };
  const breaks = text.match(/\r\n|\r|\n/g)!.length;
  return { row: start.row + breaks, column: text.length - lastBreak - 1 };
}

/** Syntax errors in a tree: ERROR and MISSING nodes. A fix may not raise this number. */
export function treeErrorCount(tree: Tree): number {
  if (!tree.rootNode.hasError) return 0;
  let n = 0;
  const cursor = tree.walk();
  try {
    for (;;) {
      // Below a node without errors there are none: skip it.
      const node = cursor.currentNode;
      if (node.isError || node.isMissing) n++;
      if (node.hasError && cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) if (!cursor.gotoParent()) return n;
    }
  } finally {
    cursor.delete();
  }
}

function toPoint(p: Position): Point {
  return { row: p.line, column: p.character };
}

/**
 * Text Reglens does not analyse, with the reason: tree-sitter did not finish within its budget (its error recovery
 * is quadratic on long runs that alternate identifier and non-Python characters, `x?x?x?…`: 70,000 such characters
 * took minutes), or the syntax tree is deeper than MAX_TREE_DEPTH, where the engine's recursive readers run out of
 * stack. Both broke the language server before (test/stress/regressions/); now the file is left unanalysed with
 * this message. A deep tree is found when it is copied (SourceFile.root), the one walk every analysis makes.
 */
export class ParseLimit extends Error {}

/**
 * Parses in this thread that ran out of their time budget. What an analysis reads after one (a file of the workspace
 * left unknown, a fix left out because its result could not be parsed in time) depends on the machine's speed, so
 * `reglens check` caches no result that saw one.
 */
let timedOutParses = 0;
export const timedOutParseCount = (): number => timedOutParses;

/**
 * Tree levels past which a file is not analysed. CPython refuses more than 200 nested brackets or 100 indents; a
 * chain of operators (`a + a + …`, `x.a.b.…`, `- - … x`) nests one level per operator without any bracket.
 */
export const MAX_TREE_DEPTH = 1000;

/** One second, plus one per MB: real code parses at several MB a second, so only pathological text hits it. */
export function parseBudgetMs(length: number): number {
  return 1000 + length / 1000;
}

/**
 * The text tree-sitter sees: the same length, so offsets and positions carry over, with two repairs.
 * - A NUL ends tree-sitter's input and it then recovers one character at a time: minutes for a NUL before a long
 *   line (test/stress/regressions/nul-before-long-line.py). Python refuses NUL bytes anyway; a space stands in.
 * - A lone \r ends a line for Python and LSP but not for tree-sitter, whose rows would then disagree with every
 *   LSP line after it; it becomes \n (a \r\n stays as it is).
 */
function parserText(text: TextPieces, needsRepair: boolean): TextPieces {
  if (!needsRepair) return text;
  return TextPieces.of(
    text
      .toString()
      .replaceAll('\0', ' ')
      .replace(/\r(?!\n)/g, '\n'),
  );
}

/** What parserText repairs: a NUL, or a \r (lone, or in a \r\n, which it keeps). */
const NEEDS_REPAIR = /[\0\r]/;

/**
 * Characters tree-sitter reads per call of the input callback. Given the whole string, web-tree-sitter copies up to
 * 5,119 characters into wasm memory one by one on every read, and an incremental parse reads at many places, each
 * time only a little: 512 made the re-parse after a one-character edit of a 150 KB file about a third cheaper, with
 * the full parse no slower.
 */
const INPUT_CHUNK = 512;

/**
 * Edits the copy took alone (statement-reparse.ts) after which tree-sitter's tree catches up: the first full parse
 * after a few hundred edits spread over a file cost 15 ms more than after one, which an edit that needs it (a
 * syntax error typed) paid.
 */
const MAX_PENDING_EDITS = 64;

/** Parses a text on its own (statement-reparse.ts). */
function parseAlone(text: string): Tree {
  return parseOrThrow(TextPieces.of(text));
}

/** Parses `input`, the parser's text (parserText). */
function parseOrThrow(input: TextPieces, old?: Tree): Tree {
  const limitMs = parseBudgetMs(input.length);
  const deadline = performance.now() + limitMs;
  // Returning true cancels the parse (the typings say void; the runtime reads the result).
  const progressCallback = (() => performance.now() > deadline) as unknown as (state: unknown) => void;
  // The tree keeps this callback for `node.text`, which reads from a node's start until it has the node's length:
  // after the parse it returns the rest of the text in one slice, as for a string input, or every `text` of a large
  // node would join hundreds of chunks (fix all on a deeply nested file went past its time bound).
  let parsing = true;
  const read = (index: number): string => {
    if (!parsing) return input.slice(index);
    let end = index + INPUT_CHUNK;
    // Never end a chunk between the two halves of a surrogate pair.
    if (end < input.length && (input.charCodeAt(end - 1) & 0xfc00) === 0xd800) end++;
    return input.slice(index, end);
  };
  let tree: Tree | null;
  try {
    tree = parser().parse(read, old ?? null, { progressCallback });
  } finally {
    parsing = false;
  }
  if (!tree) {
    // A cancelled parse resumes on the next call unless the parser is reset.
    parser().reset();
    if (performance.now() > deadline) {
      timedOutParses++;
      throw new ParseLimit(
        `tree-sitter could not parse it within ${(limitMs / 1000).toFixed(1)} s (long runs of characters Python ` +
          `does not allow make its error recovery slow)`,
      );
    }
    throw new Error('tree-sitter returned no tree');
  }
  return tree;
}

export function nodeRange(node: Node): Range {
  return {
    start: { line: node.startPosition.row, character: node.startPosition.column },
    end: { line: node.endPosition.row, character: node.endPosition.column },
  };
}
