import type { SyntaxNode } from './syntax-tree';

/**
 * A bounded memo of values computed from a piece of source text alone (a class's or a function's text). An edit
 * changes one statement of a file, so after it the other statements' values come from here instead of from their
 * syntax trees, whose nodes are costly to materialise. Bounded, and cleared when full, so it holds the statements
 * of the files being edited rather than those of every file ever opened. Values must be plain JSON data (they are
 * stored as detached copies).
 */
export class TextMemo<T> {
  private readonly values = new Map<string, T>();
  /**
   * The same values by node. After an edit the tree copy takes over every statement the edit did not touch, the same
   * objects with the same texts, so their values are found without hashing and comparing their texts.
   */
  private readonly byNode = new WeakMap<SyntaxNode, T>();

  constructor(private readonly limit = 5_000) {}

  /**
   * The value for `text`, computed when missing. `cacheable` false computes without storing: a value read from a
   * tree with a syntax error may depend on more than the text (error recovery looks at what comes before).
   */
  get(text: string, compute: () => T, cacheable = true): T {
    const known = this.values.get(text);
    if (known !== undefined) return known;
    const value = compute();
    if (!cacheable) return value;
    if (this.values.size >= this.limit) this.values.clear();
    const kept = detached(value);
    this.values.set(detached(text), kept);
    return kept;
  }

  /** The value for a node's text (`ownText`), as `get`. */
  ofNode(node: SyntaxNode, compute: () => T, cacheable = true): T {
    if (!cacheable) return compute();
    let value = this.byNode.get(node);
    if (value === undefined) {
      value = this.get(node.ownText, compute);
      this.byNode.set(node, value);
    }
    return value;
  }
}

/**
 * A copy that shares no memory with the strings it was read from. A slice keeps its whole source alive in V8, so a
 * memo keyed by a class's slice (or holding a long name cut from it) kept one copy of the file per edit: 1,500 edits
 * of a 150 KB file grew the heap by 220 MB. JSON round-trips strings exactly, lone surrogates included, which is why
 * memo values are plain JSON data.
 */
function detached<V>(data: V): V {
  return data === undefined ? data : (JSON.parse(JSON.stringify(data)) as V);
}
