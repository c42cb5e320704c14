// Fixes applied to a text: edits that must not overlap, chosen so that none makes the file parse worse, in passes
// until nothing fixable is left. The CLI's --fix, the editor's fix-all and notebooks share them.
import { Analyzer } from './analyze';
import type { RuleSelection } from './config';
import { ParseLimit, SourceFile, treeErrorCount } from './parser';
import type { Rule } from './rule';
import type { WorkspaceScope } from './scope';
import { syntaxErrorFinding } from './syntax-errors';
import type { Finding, TextEdit } from './types';

/** Applies non-overlapping edits; returns null when two edits overlap. */
export function applyEdits(file: SourceFile, edits: readonly TextEdit[]): string | null {
  const spans = edits
    .map((e) => ({ start: file.offsetAt(e.range.start), end: file.offsetAt(e.range.end), text: e.newText }))
    .sort((a, b) => a.start - b.start || a.end - b.end);
  let out = '';
  let pos = 0;
  for (const s of spans) {
    if (s.start < pos) return null;
    out += file.text.slice(pos, s.start) + s.text;
    pos = s.end;
  }
  return out + file.text.slice(pos);
}

/** A fix `--fix` and fix-all apply: a safe one, and an unsafe one too when asked for (--unsafe-fixes). */
export function isFixable(finding: Finding, unsafe = false): boolean {
  return !!finding.fix && (finding.fix.applicability === 'safe' || unsafe);
}

export interface FixResult {
  text: string;
  /** Fixes applied, by code. */
  applied: Map<string, number>;
  /** What is left after fixing, configuration and noqa applied. */
  remaining: Finding[];
  /** The fixed text's first syntax error (a fix never adds one: it is the one the text had). */
  syntaxError: Finding | null;
}

/**
 * Applies fixes until none is left (at most 10 passes, as ESLint does): overlapping fixes wait for the next pass,
 * and a fix that would add a syntax error is dropped. Only safe fixes unless `unsafe` is set.
 */
export function fixText(
  rules: readonly Rule[],
  text: string,
  selection: RuleSelection,
  options: { unsafe?: boolean; only?: (f: Finding) => boolean; workspace?: WorkspaceScope | null } = {},
): FixResult {
  const applied = new Map<string, number>();
  // Each pass analyses a new text, and most files have nothing to fix: no findings are kept between analyses.
  const analyzer = new Analyzer(rules, true);
  const rejected = new Set<string>();
  let current = text;
  for (let pass = 0; pass < 10; pass++) {
    const file = new SourceFile(current);
    try {
      const found = analyzer.analyze(file, selection, options.workspace);
      const fixable = found.filter(
        (f) => isFixable(f, options.unsafe) && (options.only?.(f) ?? true) && !rejected.has(fixKey(f)),
      );
      const done = () => ({ text: current, applied, remaining: found, syntaxError: syntaxErrorFinding(file) });
      if (fixable.length === 0) return done();
      const { chosen, edits } = chooseFixes(file, fixable, rejected);
      if (chosen.length === 0) return done();
      current = applyEdits(file, edits)!;
      for (const f of chosen) applied.set(f.code, (applied.get(f.code) ?? 0) + 1);
    } finally {
      file.dispose();
    }
  }
  const file = new SourceFile(current);
  try {
    const remaining = analyzer.analyze(file, selection, options.workspace);
    return { text: current, applied, remaining, syntaxError: syntaxErrorFinding(file) };
  } finally {
    file.dispose();
  }
}

/**
 * One fixing pass over `file`: the fixes of `candidates`, in order, that do not overlap those picked before them
 * and, together, add no syntax error. A fix that would add one, or that `refuse` rules out, goes into `rejected`
 * (by its `fixKey`) so that later passes never try it again.
 *
 * The syntax check runs on groups: all picked fixes at once, and only a group that makes the file parse worse is
 * halved and checked again, down to the single fix to blame. Checking each fix on top of those before it re-parsed
 * a text with i edits for the i-th fix: 800 fixes in one file took 22 s (test/engine/fix-scale.test.ts).
 */
export function chooseFixes(
  file: SourceFile,
  candidates: readonly Finding[],
  rejected: Set<string>,
  refuse?: (f: Finding) => boolean,
): { chosen: Finding[]; edits: TextEdit[] } {
  const taken = new SpanSet();
  const picked: Finding[] = [];
  for (const f of candidates) {
    if (refuse?.(f)) {
      rejected.add(fixKey(f));
      continue;
    }
    // An overlapping fix waits for the next pass, which sees the text this one leaves.
    if (
      taken.tryAdd(f.fix!.edits.map((e) => ({ start: file.offsetAt(e.range.start), end: file.offsetAt(e.range.end) })))
    )
      picked.push(f);
  }
  const baseline = file.syntaxErrorCount();
  const chosen: Finding[] = [];
  const edits: TextEdit[] = [];
  const parsesNoWorse = (group: readonly Finding[]): boolean => {
    const all = [...edits, ...group.flatMap((f) => f.fix!.edits)];
    try {
      const check = file.parseEdited(all, applyEdits(file, all)!);
      try {
        return treeErrorCount(check) <= baseline;
      } finally {
        check.delete();
      }
    } catch (e) {
      // A fixed text that cannot be parsed in time cannot be shown to parse: the fix is not applied.
      if (e instanceof ParseLimit) return false;
      throw e;
    }
  };
  const settle = (group: readonly Finding[]): void => {
    if (group.length === 0) return;
    if (parsesNoWorse(group)) {
      chosen.push(...group);
      for (const f of group) edits.push(...f.fix!.edits);
    } else if (group.length === 1) {
      rejected.add(fixKey(group[0]));
    } else {
      const half = group.length >> 1;
      settle(group.slice(0, half));
      settle(group.slice(half));
    }
  };
  settle(picked);
  return { chosen, edits };
}

/**
 * Text spans of the edits taken so far, sorted, with the overlap rule of `applyEdits`: in start order, an edit may
 * not start before the one before it ends (two insertions at one point do not overlap).
 */
class SpanSet {
  private readonly spans: Array<{ start: number; end: number }> = [];

  /** Adds all of `spans` when none overlaps a span already here or another of them; otherwise adds none. */
  tryAdd(spans: ReadonlyArray<{ start: number; end: number }>): boolean {
    const sorted = [...spans].sort((a, b) => a.start - b.start || a.end - b.end);
    for (let i = 1; i < sorted.length; i++) if (sorted[i].start < sorted[i - 1].end) return false;
    for (const s of sorted) {
      const at = this.indexFor(s);
      if (at > 0 && this.spans[at - 1].end > s.start) return false;
      if (at < this.spans.length && s.end > this.spans[at].start) return false;
    }
    for (const s of sorted) this.spans.splice(this.indexFor(s), 0, s);
    return true;
  }

  /** Where `s` goes in start order (after spans that sort equal to it). */
  private indexFor(s: { start: number; end: number }): number {
    let lo = 0;
    let hi = this.spans.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.spans[mid];
      if (m.start < s.start || (m.start === s.start && m.end <= s.end)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export function fixKey(f: Finding): string {
  return `${f.code}:${JSON.stringify(f.fix?.edits)}`;
}
