// Every rule's fixtures: each `# expect: RGxxx` comment names a finding that must start on that line, and a
// fixture fires nothing else for its rule. Then every fix offered on a fixture is applied, alone and all together.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { Analyzer } from '../../server/engine/analyze';
import { applyEdits, fixText } from '../../server/engine/fixes';
import { RuleSelection } from '../../server/engine/config';
import { initParser, SourceFile } from '../../server/engine/parser';
import { rules } from '../../server/rules';
import type { Finding } from '../../server/engine/types';

const here = __dirname;

function expectations(text: string, code: string): number[] {
  const lines: number[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const m = /# expect: ([A-Z0-9, ]+)/.exec(line);
    if (m && m[1].split(',').map((c) => c.trim()).includes(code)) lines.push(i + 1);
  });
  return lines;
}

/** `# expect: RG006 (info)`: the severity a finding on that line must have, by line. */
function expectedSeverities(text: string, code: string): Map<number, string> {
  const out = new Map<number, string>();
  text.split(/\r?\n/).forEach((line, i) => {
    const m = /# expect: ([A-Z0-9, ]+)\((\w+)\)/.exec(line);
    if (m && m[1].split(',').map((c) => c.trim()).includes(code)) out.set(i + 1, m[2]);
  });
  return out;
}

function lint(text: string, selection: RuleSelection): Finding[] {
  const file = new SourceFile(text);
  try {
    return new Analyzer(rules).analyze(file, selection);
  } finally {
    file.dispose();
  }
}

before(() => initParser());

for (const rule of rules) {
  const code = rule.meta.code;
  const dir = path.join(here, code);
  const fixtures = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.py')).sort() : [];
  const only = new RuleSelection({ select: [code] });

  describe(`${code} ${rule.meta.name}`, () => {
    test('has fixtures that fire and fixtures that stay silent', () => {
      const texts = fixtures.map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
      assert.ok(texts.some((t) => expectations(t, code).length > 0), `${code} needs a fixture with "# expect: ${code}"`);
      assert.ok(texts.some((t) => expectations(t, code).length === 0), `${code} needs a fixture where it stays silent`);
    });

    for (const fixture of fixtures) {
      const text = fs.readFileSync(path.join(dir, fixture), 'utf8');

      test(`${fixture}: fires exactly on the expected lines`, () => {
        const found = lint(text, only).map((f) => f.range.start.line + 1);
        assert.deepEqual(found, expectations(text, code));
      });

      test(`${fixture}: findings have the severity their expectation names`, () => {
        const wanted = expectedSeverities(text, code);
        for (const f of lint(text, only)) {
          const severity = wanted.get(f.range.start.line + 1);
          if (severity) assert.equal(f.severity, severity, `line ${f.range.start.line + 1}: ${f.message}`);
        }
      });

      test(`${fixture}: every finding is precise and explained`, () => {
        for (const f of lint(text, only)) {
          assert.equal(f.code, code);
          assert.equal(f.name, rule.meta.name);
          assert.ok(!/\{\w+\}/.test(f.message), `unfilled placeholder in "${f.message}"`);
          const startsBeforeEnd = f.range.start.line < f.range.end.line || f.range.start.character < f.range.end.character;
          assert.ok(startsBeforeEnd, `empty range for ${f.message}`);
        }
      });

      test(`${fixture}: each fix parses, removes its finding, and is idempotent`, () => {
        // Every fix a finding offers: the one `--fix` applies and the editor's alternatives.
        const fixes = lint(text, only).flatMap((f) => [f.fix, ...(f.alternatives ?? [])].flatMap((x) => (x ? [{ f, fix: x }] : [])));
        const file = new SourceFile(text);
        try {
          const errorsBefore = file.syntaxErrorCount();
          for (const { f, fix } of fixes) {
            const fixed = applyEdits(file, fix.edits);
            assert.ok(fixed !== null, `overlapping edits in ${fix.title}`);
            const after = new SourceFile(fixed);
            try {
              assert.ok(after.syntaxErrorCount() <= errorsBefore, `"${fix.title}" at line ${f.range.start.line + 1} breaks the syntax:\n${fixed}`);
            } finally {
              after.dispose();
            }
            const remaining = lint(fixed, only);
            assert.equal(remaining.length, lint(text, only).length - 1, `"${fix.title}" at line ${f.range.start.line + 1} should remove exactly its own finding`);
          }
        } finally {
          file.dispose();
        }
        const once = fixText(rules, text, only, { unsafe: true });
        const twice = fixText(rules, once.text, only, { unsafe: true });
        assert.equal(twice.text, once.text, 'a second fix-all must change nothing');
        assert.equal(twice.applied.size, 0);
      });
    }

    test('fix-all output matches the reviewed snapshot', () => {
      for (const fixture of fixtures) {
        const snapshot = path.join(dir, fixture.replace(/\.py$/, '.fixed'));
        if (!fs.existsSync(snapshot)) continue;
        const text = fs.readFileSync(path.join(dir, fixture), 'utf8');
        const result = fixText(rules, text, only, { unsafe: true });
        assert.equal(result.text, fs.readFileSync(snapshot, 'utf8'), `${fixture} fixed differs from ${path.basename(snapshot)}`);
      }
    });
  });
}

describe('fix-all', () => {
  test('applies only safe fixes unless unsafe fixes are asked for', () => {
    const text = fs.readFileSync(path.join(here, 'RG007', 'fire.py'), 'utf8') + '\n' + fs.readFileSync(path.join(here, 'RG006', 'fire_functional.py'), 'utf8');
    const all = new RuleSelection({});
    const safe = fixText(rules, text, all);
    assert.ok((safe.applied.get('RG006') ?? 0) > 0);
    assert.equal(safe.applied.get('RG007'), undefined, 'RG007 removal is unsafe');
    assert.ok(safe.remaining.some((f) => f.code === 'RG007'));
    const unsafe = fixText(rules, text, all, { unsafe: true });
    assert.ok((unsafe.applied.get('RG007') ?? 0) > 0);
  });

  test('a fix that would break the syntax is never applied', () => {
    // The call sits inside an f-string replacement field where inserting text is fine, but a
    // fix is still checked by re-parsing; the result must parse no worse than the input.
    const text = 'import torch.nn as nn\nimport torch.nn.functional as F\nclass A(nn.Module):\n    def forward(self, x):\n        return f"{F.dropout(x, 0.1)}"\n';
    const result = fixText(rules, text, new RuleSelection({}), { unsafe: true });
    const file = new SourceFile(result.text);
    try {
      assert.equal(file.syntaxErrorCount(), 0);
    } finally {
      file.dispose();
    }
  });
});
