import type { Node, SourceFile } from './parser';

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
    if (/reglens:\s*$/i.test(text.slice(comment.startIndex, m.index))) continue;
    const codes: NoqaComment['codes'] = [];
    if (m[1]) {
      const listStart = m.index + m[0].length - m[1].length;
      const re = /[A-Za-z]+[0-9]+/g;
      for (let c = re.exec(m[1]); c; c = re.exec(m[1]))
        codes.push({ code: c[0].toUpperCase(), start: listStart + c.index, end: listStart + c.index + c[0].length });
    }
    out.push({ line: comment.startPosition.row, start: comment.startIndex, end: comment.endIndex, codes });
  }
  return out;
}

function commentAt(file: SourceFile, offset: number): Node | null {
  const node = file.root.descendantForIndex(offset);
  return node?.type === 'comment' ? node : null;
}

export function suppressions(file: SourceFile): Suppressions {
  const result: Suppressions = { file: null, lines: new Map() };
  // Most files have none; this is known after an edit without searching the whole text again.
  if (!file.mentions(NOQA_WORD)) return result;
  for (const c of noqaComments(file)) {
    const prev = result.lines.get(c.line);
    if (c.codes.length === 0 || prev === true) result.lines.set(c.line, true);
    else result.lines.set(c.line, new Set([...(prev ?? []), ...c.codes.map((x) => x.code)]));
  }
  const fileLevel = FILE_NOQA.exec(file.text);
  if (fileLevel && commentAt(file, fileLevel.index)) {
    result.file = fileLevel[1] ? new Set(fileLevel[1].split(',').map((c) => c.trim().toUpperCase())) : true;
  }
  return result;
}

export function isSuppressed(s: Suppressions, code: string, line: number): boolean {
  if (s.file === true || s.file?.has(code)) return true;
  const entry = s.lines.get(line);
  return entry === true || (entry !== undefined && entry.has(code));
}
