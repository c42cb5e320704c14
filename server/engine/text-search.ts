import type { TextSource } from './text-pieces';

/**
 * Whether patterns occur in a document's text, kept across edits. Several whole-file questions are asked on every
 * analysis (does the file mention `noqa`? a tracing call? a trigger of a rule that reads across statements? a random
 * draw?), and on a 150 KB file each search that finds nothing costs 50–130 µs, more than the rest of an edit's work
 * on the statements it did not touch; a search also needs the text as one string (text-pieces.ts). After an edit, a
 * known match the edit did not reach stays; where there is none, a pattern whose matches are short and depend on
 * their own characters alone is looked for only around the edit.
 */
export class TextMentions {
  /** Per pattern: a match that is known (any one, not necessarily the first), or null when there is none. */
  private readonly known = new Map<RegExp, { start: number; end: number } | null>();

  /** Does `pattern` match somewhere in `text` (the current text of the document)? */
  mentions(text: TextSource, pattern: RegExp): boolean {
    let match = this.known.get(pattern);
    if (match === undefined) {
      match = search(pattern, text, 0, text.length);
      if (!LOOKAROUND.test(pattern.source)) this.known.set(pattern, match);
    }
    return match !== null;
  }

  /** `text` is the new text, in which [start, newEnd) replaced the old text's [start, oldEnd). */
  edited(text: TextSource, start: number, oldEnd: number, newEnd: number): void {
    const delta = newEnd - oldEnd;
    for (const [pattern, match] of this.known) {
      // A match whose characters, and one on each side (what `\b`, `^` and `$` look at), the edit left alone stays.
      if (match && match.end < start) continue;
      if (match && match.start > oldEnd) {
        this.known.set(pattern, { start: match.start + delta, end: match.end + delta });
        continue;
      }
      const bound = maxMatchLength(pattern);
      if (bound === null) {
        this.known.delete(pattern);
        continue;
      }
      // A match the edit did not make holds characters of the edit or straddles it, so lies within `bound` of it.
      const from = Math.max(0, start - bound);
      const found = search(pattern, text, from, Math.min(text.length, newEnd + bound));
      if (found || !match) this.known.set(pattern, found);
      // The known match was in the replaced text: any other may be anywhere.
      else this.known.delete(pattern);
    }
  }

  /** The whole text was replaced. */
  clear(): void {
    this.known.clear();
  }
}

function search(pattern: RegExp, text: TextSource, from: number, to: number): { start: number; end: number } | null {
  const re = searcher(pattern);
  const slice = from === 0 && to === text.length ? text.toString() : text.slice(from, to);
  const m = re.exec(slice);
  return m ? { start: from + m.index, end: from + m.index + m[0].length } : null;
}

/** Lookaround reads characters outside the match, as far as it likes: such a pattern is searched every time. */
const LOOKAROUND = /\(\?<?[=!]/;

/** The pattern without `g` or `y`, whose searches would otherwise start at its `lastIndex`. */
const searchers = new WeakMap<RegExp, RegExp>();

function searcher(pattern: RegExp): RegExp {
  if (!pattern.global && !pattern.sticky) return pattern;
  let re = searchers.get(pattern);
  if (!re) searchers.set(pattern, (re = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''))));
  return re;
}

/**
 * An upper bound on the length of a match, in UTF-16 units, for a pattern without repetition (`*`, `+`, `{`),
 * anchors, word boundaries, lookaround, back-references or the `u` and `v` flags: each element of its source then
 * matches at most one unit, and a search of part of the text sees what the whole text holds there (with `u`, a
 * surrogate pair cut at the part's edge would read as a lone surrogate). Null for any other pattern: it is searched
 * in the whole text each time.
 */
const bounds = new WeakMap<RegExp, number | null>();

export function maxMatchLength(pattern: RegExp): number | null {
  let bound = bounds.get(pattern);
  if (bound === undefined) {
    const contextFree = !/[*+{^$]|\\[bBk1-9]|\(\?[=!<]/.test(pattern.source) && !/[muv]/.test(pattern.flags);
    bound = contextFree ? pattern.source.length : null;
    bounds.set(pattern, bound);
  }
  return bound;
}
