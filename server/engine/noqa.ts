import type { Node, SourceFile } from './parser';
import type { Finding, TextEdit } from './types';

/** Suppressions written in the file: `# noqa`, `# noqa: RG006, RG007`, and a file-level `# reglens: noqa`. */
export interface Suppressions {
  /** Whole file: `true` for every rule, or the listed codes. */
  file: true | Set<string> | null;
  /** line → `true` for a bare `# noqa`, or the codes listed. */
  lines: Map<number, true | Set<string>>;
}

export interface NoqaComment {
  line: number;
  /** Offsets of the comment in the file. */
  start: number;
  end: number;
  /** Offsets of the directive in the comment: `# noqa: RG006, RG007`. */
  directive: { start: number; end: number };
  /** Codes listed, with their offsets in the file; empty for a bare `# noqa`. */
  codes: { code: string; start: number; end: number }[];
}

const NOQA = /#\s*noqa(?::[ \t]*([A-Za-z]+[0-9]+(?:[ \t]*,[ \t]*[A-Za-z]+[0-9]+)*))?/gi;
/** What every suppression comment spells. */
const NOQA_WORD = /noqa/i;
const FILE_NOQA = /#\s*reglens:\s*noqa(?::[ \t]*([A-Za-z]+[0-9]+(?:[ \t]*,[ \t]*[A-Za-z]+[0-9]+)*))?/i;

/**
 * Finds `# noqa` comments. The text is scanned first; only lines that mention noqa consult the tree, to rule out
 * strings.
 */
export function noqaComments(file: SourceFile): NoqaComment[] {
  const out: NoqaComment[] = [];
  const text = file.text;
  NOQA.lastIndex = 0;
  for (let m = NOQA.exec(text); m; m = NOQA.exec(text)) {
    const comment = commentAt(file, m.index);
    if (!comment) continue;
    if (/reglens:\s*$/i.test(text.slice(comment.start, m.index))) continue;
    const codes: NoqaComment['codes'] = [];
    if (m[1]) {
      const listStart = m.index + m[0].length - m[1].length;
      const re = /[A-Za-z]+[0-9]+/g;
      for (let c = re.exec(m[1]); c; c = re.exec(m[1]))
        codes.push({ code: c[0].toUpperCase(), start: listStart + c.index, end: listStart + c.index + c[0].length });
    }
    out.push({
      line: comment.row,
      start: comment.start,
      end: comment.end,
      directive: { start: m.index, end: m.index + m[0].length },
      codes,
    });
  }
  return out;
}

/**
 * The comment that holds the offset, or null inside a string or code. In a region tree-sitter could not parse (an
 * ERROR node), a comment is not always kept as a node; the analysis reads such a region again with the damage
 * blanked out (recovery.ts) and reports its findings, so a `#` that no token there covers starts a comment too, to
 * the end of its line.
 */
function commentAt(file: SourceFile, offset: number): { start: number; end: number; row: number } | null {
  const node = file.root.descendantForIndex(offset);
  if (node?.type === 'comment')
    return { start: node.startIndex, end: lineEnd(file, node.startIndex, node.endIndex), row: node.startPosition.row };
  if (node?.type !== 'ERROR' || file.text[offset] !== '#') return null;
  return { start: offset, end: lineEnd(file, offset, file.text.length), row: file.positionAt(offset).line };
}

/**
 * Where the line ends, at most `limit`. tree-sitter's comment token runs to the next `\n`, so on a line ending with
 * `\r\n` (or a lone `\r`, a line break to the editor) it holds the `\r`, past the end of the line as the editor
 * counts it.
 */
function lineEnd(file: SourceFile, from: number, limit: number): number {
  const rest = /[\r\n]/.exec(file.text.slice(from, limit));
  return rest ? from + rest.index : limit;
}

export function suppressions(file: SourceFile): Suppressions {
  const result: Suppressions = { file: null, lines: new Map() };
  // Most files have none; this is known after an edit without searching the whole text again.
  if (!file.mentions(NOQA_WORD)) return result;
  for (const c of noqaComments(file))
    silenceLine(result, c.line, c.codes.length === 0 ? true : c.codes.map((x) => x.code));
  const fileLevel = FILE_NOQA.exec(file.text);
  if (fileLevel && commentAt(file, fileLevel.index)) {
    result.file = fileLevel[1] ? new Set(fileLevel[1].split(',').map((c) => c.trim().toUpperCase())) : true;
  }
  return result;
}

/** Adds a line's silenced codes (`true`: every code) to what the line already silences. */
export function silenceLine(s: Suppressions, line: number, codes: true | Iterable<string>): void {
  const prev = s.lines.get(line);
  if (codes === true || prev === true) s.lines.set(line, true);
  else s.lines.set(line, new Set([...(prev ?? []), ...codes]));
}

export function isSuppressed(s: Suppressions, code: string, line: number): boolean {
  if (s.file === true || s.file?.has(code)) return true;
  const entry = s.lines.get(line);
  return entry === true || (entry !== undefined && entry.has(code));
}

/**
 * `  # noqa: CODE, …` at the end of the line, or `, CODE` appended to the line's `# noqa: …` list, for the codes
 * the line does not silence yet. None when nothing is left to add, or when a comment cannot go there: after a
 * backslash continuation, or when the line ends inside a (triple-quoted) string.
 */
export function noqaEdit(
  file: SourceFile,
  line: number,
  codes: readonly string[],
  comments: readonly NoqaComment[] = noqaComments(file),
): TextEdit | null {
  const text = file.lineText(line);
  const trimmed = text.replace(/\s+$/, '');
  if (trimmed === '') return null;
  const lineStart = file.offsetAt({ line, character: 0 });
  const contentEnd = lineStart + trimmed.length;
  const lineEnd = lineStart + text.length;
  const root = file.root;

  if (insideString(root.descendantForIndex(lineEnd), lineEnd)) return null;
  if (trimmed.endsWith('\\') && !isComment(root.descendantForIndex(contentEnd - 1))) return null;

  const existing = comments.filter((c) => c.line === line);
  // A bare `# noqa` already silences everything; a listed code is already silenced.
  if (existing.some((c) => c.codes.length === 0)) return null;
  const missing = [...new Set(codes)].filter((code) => !existing.some((c) => c.codes.some((x) => x.code === code)));
  if (missing.length === 0) return null;
  const last = existing[existing.length - 1];
  if (last) {
    const at = file.positionAt(last.codes[last.codes.length - 1].end);
    return { range: { start: at, end: at }, newText: `, ${missing.join(', ')}` };
  }
  return {
    range: { start: file.positionAt(contentEnd), end: file.positionAt(lineEnd) },
    newText: `  # noqa: ${missing.join(', ')}`,
  };
}

/**
 * The `# noqa` directives that silence findings where they start (`reglens check --add-noqa`): one edit per line,
 * its codes in order. `left`: the findings whose line cannot take a comment (or one `placeable` refuses).
 */
export function noqaDirectives(
  file: SourceFile,
  findings: readonly Finding[],
  placeable: (edit: TextEdit) => boolean = () => true,
): { edits: TextEdit[]; silenced: Finding[]; left: Finding[] } {
  const byLine = new Map<number, Finding[]>();
  for (const f of findings) byLine.set(f.range.start.line, [...(byLine.get(f.range.start.line) ?? []), f]);
  const comments = noqaComments(file);
  const out = { edits: [] as TextEdit[], silenced: [] as Finding[], left: [] as Finding[] };
  for (const [line, here] of [...byLine].sort((a, b) => a[0] - b[0])) {
    const written = noqaEdit(file, line, [...new Set(here.map((f) => f.code))].sort(), comments);
    const edit = written && placeable(written) ? written : null;
    if (edit) out.edits.push(edit);
    (edit ? out.silenced : out.left).push(...here);
  }
  return out;
}

function insideString(node: Node | null, offset: number): boolean {
  for (let n = node; n; n = n.parent) {
    if ((n.type === 'string' || n.type === 'string_content') && n.startIndex < offset && n.endIndex > offset)
      return true;
  }
  return false;
}

function isComment(node: Node | null): boolean {
  for (let n = node; n; n = n.parent) if (n.type === 'comment') return true;
  return false;
}
