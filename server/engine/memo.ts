/**
 * A bounded memo of values computed from a piece of source text alone (a class's or a function's text). An edit
 * changes one statement of a file, so after it the other statements' values come from here instead of from their
 * syntax trees, whose nodes are costly to materialise. Bounded, and cleared when full, so it holds the statements
 * of the files being edited rather than those of every file ever opened.
 */
export class TextMemo<T> {
  private readonly values = new Map<string, T>();

  constructor(private readonly limit = 5_000) {}

  /**
   * The value for `text`, computed when missing. `cacheable` false computes without storing: a value read from a
   * tree with a syntax error may depend on more than the text (error recovery looks at what comes before).
   */
  get(text: string, compute: () => T, cacheable = true): T {
    const known = this.values.get(text);
    if (known !== undefined) return known;
    const value = compute();
    if (cacheable) {
      if (this.values.size >= this.limit) this.values.clear();
      this.values.set(text, value);
    }
    return value;
  }
}
