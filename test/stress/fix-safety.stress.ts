// Fix safety at scale: every fix the engine offers (safe and unsafe) on the rule fixtures, the examples and the
// PyTorch/torchvision corpus, applied one at a time and all together (fixText, what `reglens check --fix` and
// the LSP's fix-all use). A fix may not add a syntax error, must silence its own finding, may not change other
// findings, and applying fixes a second time changes nothing.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { lintText } from '../../server/engine/analyze';
import { applyEdits, fixText } from '../../server/engine/fixes';
import { RuleSelection } from '../../server/engine/config';
import { initParser, SourceFile, treeErrorCount } from '../../server/engine/parser';
import type { Finding, Position, TextEdit } from '../../server/engine/types';
import { corpus } from './harness';
import { rules } from '../../server/rules';

process.env.REGLENS_DEBUG = '1';
before(() => initParser());

const ALL = new RuleSelection({});

function errorsOf(text: string): number {
  const file = new SourceFile(text);
  try {
    return treeErrorCount(file.tree);
  } finally {
    file.dispose();
  }
}

/** Where a position of the text before the edits lands after them (a position inside an edit: the edit's start). */
function mapper(file: SourceFile, edits: readonly TextEdit[], after: string): (p: Position) => number {
  const spans = edits.map((e) => ({
    start: file.offsetAt(e.range.start),
    end: file.offsetAt(e.range.end),
    length: e.newText.length,
  }));
  const afterFile = { lineOf: (offset: number) => after.slice(0, offset).split(/\r\n|\r|\n/).length - 1 };
  return (p) => {
    const offset = file.offsetAt(p);
    let shifted = offset;
    for (const s of spans) {
      if (s.end <= offset && !(s.start === s.end && s.start === offset)) shifted += s.length - (s.end - s.start);
      else if (s.start < offset) shifted = Math.min(shifted, shifted - (offset - s.start));
    }
    return afterFile.lineOf(Math.max(0, shifted));
  };
}

/** `items` less one occurrence of each of `remove` (multisets). */
function without(items: readonly string[], remove: readonly string[]): string[] {
  const left = [...remove];
  return items.filter((item) => {
    const i = left.indexOf(item);
    if (i < 0) return true;
    left.splice(i, 1);
    return false;
  });
}

/**
 * A new finding a fix is expected to cause: removing the only call of `self.drop` leaves `self.drop` unused (RG007,
 * with its own fix); removing the only regularizer that reads a rate parameter (or the `**kwargs` a rate keyword
 * goes into) leaves that rate unused (RG012).
 */
function expectedConsequence(entry: string, after: readonly Finding[], removedText: string): boolean {
  const [code, line] = entry.split('@');
  if (code !== 'RG007' && code !== 'RG012') return false;
  const finding = after.find((f) => f.code === code && f.range.start.line === Number(line));
  if (code === 'RG012') {
    // The rate parameter, or the `**kwargs` that read the rate keyword, that the removed code read.
    const m = finding?.message.match(/accepts the rate `(\w+)`|goes into `\*\*(\w+)`/);
    const name = m?.[1] ?? m?.[2];
    return name !== undefined && new RegExp(`\\b${name}\\b`).test(removedText);
  }
  const name = finding?.message.match(/^`(self\.\w+)`/)?.[1];
  return name !== undefined && removedText.includes(name);
}

/**
 * Does the fix edit what the finding is about: its own range, or a line its message names (`mentions`: the code
 * that makes the finding, such as the dropout whose rate a branch ignores)? Such a finding may change or go.
 */
function touches(f: Finding, file: SourceFile, edits: readonly TextEdit[]): boolean {
  return [f.range, ...(f.mentions ?? [])].some((range) => {
    const a = file.offsetAt(range.start);
    const b = file.offsetAt(range.end);
    return edits.some((e) => {
      const s = file.offsetAt(e.range.start);
      const t = file.offsetAt(e.range.end);
      return s <= b && a <= t;
    });
  });
}

test('every offered fix, one at a time and all together, on the fixtures, the examples and the torch corpus', {
  timeout: 15 * 60_000,
}, (t) => {
  const { files, note } = corpus();
  const counts = {
    files: files.length,
    filesWithFixes: 0,
    findings: 0,
    safe: 0,
    unsafe: 0,
    fixAllSafe: 0,
    fixAllUnsafe: 0,
  };
  const problems: string[] = [];
  for (const source of files) {
    const findings = lintText(rules, source.text, ALL);
    counts.findings += findings.length;
    const fixable = findings.filter((f) => f.fix);
    if (fixable.length === 0) continue;
    counts.filesWithFixes++;
    const baseline = errorsOf(source.text);
    const file = new SourceFile(source.text);
    try {
      // One at a time.
      for (const finding of fixable) {
        const fix = finding.fix!;
        counts[fix.applicability]++;
        const where = `${source.name}:${finding.range.start.line + 1} ${finding.code} "${fix.title}"`;
        const after = applyEdits(file, fix.edits);
        if (after === null) {
          problems.push(`${where}: its edits overlap`);
          continue;
        }
        if (errorsOf(after) > baseline) {
          problems.push(`${where}: adds a syntax error`);
          continue;
        }
        const lineAfter = mapper(file, fix.edits, after);
        const fixedFindings = lintText(rules, after, ALL);
        // Findings away from the edits stay, where the edits moved them; the fixed one goes; nothing else appears
        // away from the edits. Compared as multisets of code@line.
        const expected = findings
          .filter((f) => f !== finding && !touches(f, file, fix.edits))
          .map((f) => `${f.code}@${lineAfter(f.range.start)}`);
        const got = fixedFindings.map((f) => `${f.code}@${f.range.start.line}`);
        const missing = without(expected, got);
        // A finding that overlapped the edits may change or go; it may also stay.
        const touched = findings
          .filter((f) => f !== finding && touches(f, file, fix.edits))
          .map((f) => `${f.code}@${lineAfter(f.range.start)}`);
        const extra = without(without(got, expected), touched);
        const editLines = new Set<number>();
        for (const e of fix.edits)
          for (
            let line = lineAfter(e.range.start);
            line <= lineAfter(e.range.end) + e.newText.split('\n').length;
            line++
          )
            editLines.add(line);
        const removed = fix.edits
          .map((e) => source.text.slice(file.offsetAt(e.range.start), file.offsetAt(e.range.end)))
          .join('\n');
        const again = extra.filter(
          (g) => g.startsWith(`${finding.code}@`) && !expectedConsequence(g, fixedFindings, removed),
        );
        const appeared = extra.filter(
          (g) =>
            !g.startsWith(`${finding.code}@`) &&
            !editLines.has(Number(g.split('@')[1])) &&
            !expectedConsequence(g, fixedFindings, removed),
        );
        if (again.length > 0)
          problems.push(`${where}: ${finding.code} still reported after the fix: ${again.join(', ')}`);
        if (missing.length > 0) problems.push(`${where}: other findings disappeared: ${missing.join(', ')}`);
        if (appeared.length > 0) problems.push(`${where}: new findings away from the fix: ${appeared.join(', ')}`);
      }
      // All together, safe only and then unsafe too: no new syntax error, and a second run changes nothing.
      for (const unsafe of [false, true]) {
        const once = fixText(rules, source.text, ALL, { unsafe });
        let applied = 0;
        for (const n of once.applied.values()) applied += n;
        if (unsafe) counts.fixAllUnsafe += applied;
        else counts.fixAllSafe += applied;
        if (errorsOf(once.text) > baseline)
          problems.push(`${source.name}: fix-all (${unsafe ? 'unsafe' : 'safe'}) adds a syntax error`);
        const twice = fixText(rules, once.text, ALL, { unsafe });
        if (twice.text !== once.text)
          problems.push(
            `${source.name}: a second fix-all (${unsafe ? 'unsafe' : 'safe'}) changed the text again ` +
              `(${[...twice.applied.keys()].join(', ')})`,
          );
        const left = once.remaining.filter((f) => f.fix && (unsafe || f.fix.applicability === 'safe'));
        if (left.length > 0)
          problems.push(
            `${source.name}: fix-all (${unsafe ? 'unsafe' : 'safe'}) left fixable findings: ` +
              `${left.map((f) => `${f.code}@${f.range.start.line + 1}`).join(', ')}`,
          );
      }
    } finally {
      file.dispose();
    }
  }
  const summary =
    `fix safety: ${counts.files} files (${counts.filesWithFixes} with ` +
    `fixes${note ? `; ${note}` : ''}), ${counts.findings} findings; one at a time: ${counts.safe} safe + ` +
    `${counts.unsafe} unsafe fixes; all together: ${counts.fixAllSafe} safe, ${counts.fixAllUnsafe} safe+unsafe ` +
    `fixes applied; ${problems.length} problems`;
  console.log(summary);
  t.diagnostic(summary);
  assert.deepEqual(problems, []);
  assert.ok(counts.safe + counts.unsafe > 50, 'the fixtures offer fixes to check');
});
