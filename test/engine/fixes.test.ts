import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { applyEdits, chooseFixes, fixKey } from '../../server/engine/fixes';
import { initParser, SourceFile, treeErrorCount } from '../../server/engine/parser';
import type { Finding, TextEdit } from '../../server/engine/types';

before(() => initParser());

const LINES = 400;
const text = Array.from({ length: LINES }, (_, i) => `value_${i} = left_${i} + right_${i}\n`).join('');

function finding(edits: TextEdit[]): Finding {
  const range = edits[0].range;
  return {
    code: 'RG999',
    name: 'test',
    message: 'test',
    severity: 'warning',
    range,
    fix: { applicability: 'safe', title: 'test', edits },
    related: [],
    tags: [],
  };
}

/** A deterministic sequence, so a failure replays. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

/**
 * Fixes on random lines: most rename an operand (harmless), some replace a whole line or insert at a point that
 * another fix also touches (overlaps), and a few open a bracket that is never closed (a syntax error).
 */
function candidates(seed: number): Finding[] {
  const next = rng(seed);
  const out: Finding[] = [];
  for (let k = 0; k < 300; k++) {
    const line = Math.floor(next() * LINES);
    const left = `value_${line} = `.length;
    const roll = next();
    if (roll < 0.03)
      out.push(
        finding([{ range: { start: { line, character: left }, end: { line, character: left } }, newText: '(' }]),
      );
    else if (roll < 0.1)
      out.push(
        finding([
          {
            range: { start: { line, character: 0 }, end: { line, character: left + `left_${line}`.length } },
            newText: `value_${line} = other`,
          },
        ]),
      );
    else if (roll < 0.2)
      out.push(
        finding([{ range: { start: { line, character: left }, end: { line, character: left } }, newText: '1 * ' }]),
      );
    else {
      const right = left + `left_${line} + `.length;
      // Two edits in one fix: both operands renamed together.
      out.push(
        finding([
          {
            range: { start: { line, character: left }, end: { line, character: left + `left_${line}`.length } },
            newText: `l${k}`,
          },
          {
            range: { start: { line, character: right }, end: { line, character: right + `right_${line}`.length } },
            newText: `r${k}`,
          },
        ]),
      );
    }
  }
  return out;
}

/**
 * What a fixing pass must choose: the fixes that overlap none before them (an overlapping fix waits for the next
 * pass, even when the one it overlaps is then refused), then each of those in order, on top of those chosen before
 * it, checked on its own.
 */
function oneAtATime(file: SourceFile, fixes: readonly Finding[]): { chosen: Finding[]; rejected: Set<string> } {
  const baseline = file.syntaxErrorCount();
  const picked: Finding[] = [];
  let pickedEdits: TextEdit[] = [];
  for (const f of fixes) {
    const all = [...pickedEdits, ...f.fix!.edits];
    if (applyEdits(file, all) === null) continue;
    picked.push(f);
    pickedEdits = all;
  }
  const chosen: Finding[] = [];
  const rejected = new Set<string>();
  let edits: TextEdit[] = [];
  for (const f of picked) {
    const all = [...edits, ...f.fix!.edits];
    const after = applyEdits(file, all)!;
    const check = new SourceFile(after);
    const worse = treeErrorCount(check.tree) > baseline;
    check.dispose();
    if (worse) rejected.add(fixKey(f));
    else {
      chosen.push(f);
      edits = all;
    }
  }
  return { chosen, rejected };
}

test('a fixing pass checks fixes in groups and chooses what checking them one at a time chooses', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const file = new SourceFile(text);
    try {
      const fixes = candidates(seed);
      const expected = oneAtATime(file, fixes);
      const rejected = new Set<string>();
      const { chosen, edits } = chooseFixes(file, fixes, rejected);
      assert.deepEqual(chosen, expected.chosen, `seed ${seed}: the chosen fixes`);
      assert.deepEqual(
        [...rejected].sort(),
        [...expected.rejected].sort(),
        `seed ${seed}: the fixes refused for their syntax`,
      );
      assert.ok(
        rejected.size > 0 && chosen.length < fixes.length - rejected.size,
        `seed ${seed}: the candidates must include refused and overlapping fixes`,
      );
      const fixed = new SourceFile(applyEdits(file, edits)!);
      assert.equal(fixed.syntaxErrorCount(), 0, `seed ${seed}: the fixed text parses`);
      fixed.dispose();
    } finally {
      file.dispose();
    }
  }
});

test('a fix refused by the caller is not checked and never chosen', () => {
  const file = new SourceFile(text);
  try {
    const fixes = candidates(7);
    const rejected = new Set<string>();
    const refused = new Set(fixes.filter((_, i) => i % 3 === 0));
    const { chosen } = chooseFixes(file, fixes, rejected, (f) => refused.has(f));
    assert.ok(chosen.length > 0);
    for (const f of chosen) assert.ok(!refused.has(f));
    for (const f of refused) assert.ok(rejected.has(fixKey(f)));
  } finally {
    file.dispose();
  }
});
