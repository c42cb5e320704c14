/** What reads a text by parts: a string, or a text kept as pieces. */
export interface TextSource {
  readonly length: number;
  charCodeAt(offset: number): number;
  slice(start: number, end?: number): string;
  /** The whole text as one string. */
  toString(): string;
}

/**
 * A document's text after edits, kept as the pieces of the texts before it: an edit cuts the piece it falls in and
 * puts the inserted text between the two parts, copying nothing. One string of the whole text is made only when
 * someone asks for it (`toString`). V8 keeps a string over 128 KB in a memory mapping of its own, and on this
 * project's machines making one took 0.6 ms, unmapping included, whatever the edit: a third of the editor's work
 * after a keystroke in a 150 KB file. The parser reads pieces, and the tree's nodes slice them.
 */
export class TextPieces implements TextSource {
  /** Where each piece starts in the text. */
  private readonly starts: number[];
  private joined: string | undefined;

  private constructor(
    private readonly pieces: readonly string[],
    readonly length: number,
  ) {
    this.starts = new Array(pieces.length);
    let offset = 0;
    for (let i = 0; i < pieces.length; i++) {
      this.starts[i] = offset;
      offset += pieces[i].length;
    }
    if (pieces.length === 1) this.joined = pieces[0];
  }

  static of(text: string): TextPieces {
    return new TextPieces([text], text.length);
  }

  /** The text with [start, end) replaced by `inserted`. */
  edited(start: number, end: number, inserted: string): TextPieces {
    // Past this many pieces, or once someone joined it, the text is edited as one string again: every read looks its
    // piece up (a join every few dozen edits costs less), and a joined text lets the strings of older pieces go.
    if (this.pieces.length > MAX_PIECES || (this.pieces.length > 1 && this.joined !== undefined))
      return TextPieces.of(this.toString()).edited(start, end, inserted);
    const first = this.pieceAt(start);
    const last = this.pieceAt(end);
    const before = this.pieces[first].slice(0, start - this.starts[first]);
    const after = this.pieces[last].slice(end - this.starts[last]);
    const pieces = [...this.pieces.slice(0, first), before, inserted, after, ...this.pieces.slice(last + 1)].filter(
      (p) => p.length > 0,
    );
    return new TextPieces(pieces.length > 0 ? pieces : [''], this.length - (end - start) + inserted.length);
  }

  charCodeAt(offset: number): number {
    if (offset < 0 || offset >= this.length) return Number.NaN;
    const i = this.pieceAt(offset);
    return this.pieces[i].charCodeAt(offset - this.starts[i]);
  }

  /** As `String.prototype.slice` for 0 ≤ start ≤ end ≤ length; what spans pieces is joined. */
  slice(start: number, end: number = this.length): string {
    start = Math.max(0, Math.min(start, this.length));
    end = Math.max(start, Math.min(end, this.length));
    if (this.joined !== undefined) return this.joined.slice(start, end);
    let i = this.pieceAt(start);
    const offset = this.starts[i];
    if (end <= offset + this.pieces[i].length) return this.pieces[i].slice(start - offset, end - offset);
    const parts = [this.pieces[i].slice(start - offset)];
    for (i++; i < this.pieces.length && this.starts[i] < end; i++)
      parts.push(this.pieces[i].slice(0, end - this.starts[i]));
    return parts.join('');
  }

  /** The whole text as one string, made on first request. */
  toString(): string {
    this.joined ??= this.pieces.join('');
    return this.joined;
  }

  /** The piece that holds `offset`; the last piece for the end of the text. */
  private pieceAt(offset: number): number {
    let lo = 0;
    let hi = this.pieces.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

const MAX_PIECES = 64;
