// The structure rules' refactoring fixes, applied through the language server the way an editor applies them:
// each yields code that parses, no longer has its finding, keeps every other finding, and is not offered again.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CodeAction, Diagnostic } from 'vscode-languageserver-protocol/node';
import { initParser, SourceFile } from '../../server/engine/parser';
import { applyWorkspaceEdit, contentChanges, editsFor, isCodeAction, TestClient, tempProject } from './client';

const RULES = ['RG001', 'RG002', 'RG009', 'RG010'];
const fixturesDir = path.join(__dirname, '..', 'rules');

let client: TestClient;
const project = tempProject();
let counter = 0;

before(async () => {
  await initParser();
  client = await TestClient.start();
});

after(() => {
  client.dispose();
  project.cleanup();
});

/** A finding as the user sees it, independent of where lines moved: its code and the source it underlines. */
function described(text: string, d: Diagnostic): string {
  const lines = text.split('\n');
  const start = d.range.start;
  const end = d.range.end;
  const snippet =
    start.line === end.line
      ? lines[start.line].slice(start.character, end.character)
      : lines[start.line].slice(start.character);
  return `${d.code} ${snippet.trim()}`;
}

/** An RG012 unused rate that the fix's new text reads: putting the rate to work resolves that finding too. */
function putsRateToWork(d: Diagnostic, edits: readonly { newText: string }[]): boolean {
  const rate = d.code === 'RG012' ? /accepts the rate `(\w+)`/.exec(d.message)?.[1] : undefined;
  return rate !== undefined && edits.some((e) => new RegExp(`\\b${rate}\\b`).test(e.newText));
}

function errors(text: string): number {
  const file = new SourceFile(text);
  try {
    return file.syntaxErrorCount();
  } finally {
    file.dispose();
  }
}

for (const code of RULES) {
  // The fixtures whose reviewed fix-all snapshot changes them: a finding may rightly offer no fix (RG010 in a helper
  // that several modules are handed to: fire_helper_module.fixed is its source unchanged, which test/rules checks).
  const changedByFixes = (f: string) => {
    const snapshot = path.join(fixturesDir, code, f.replace(/\.py$/, '.fixed'));
    return (
      fs.readFileSync(path.join(fixturesDir, code, f), 'utf8') !==
      (fs.existsSync(snapshot) ? fs.readFileSync(snapshot, 'utf8') : '')
    );
  };
  const fixtures = fs
    .readdirSync(path.join(fixturesDir, code))
    .filter((f) => f.startsWith('fire') && f.endsWith('.py') && changedByFixes(f));
  describe(`${code} fixes through the language server`, () => {
    for (const fixture of fixtures) {
      test(fixture, async () => {
        const text = fs.readFileSync(path.join(fixturesDir, code, fixture), 'utf8');
        const probe = project.uri(`probe${++counter}.py`);
        client.open(probe, text);
        const initial = await client.diagnostics(probe, 1);
        const targets = initial.filter((d) => d.code === code);
        assert.ok(targets.length > 0, `${fixture} has no ${code} diagnostic`);
        let fixed = 0;
        for (const target of targets) {
          // A fresh document per fix, so each refactor is checked on its own.
          const uri = project.uri(`doc${++counter}.py`);
          client.open(uri, text);
          const before = await client.diagnostics(uri, 1);
          const diagnostic = before.find(
            (d) =>
              d.code === code &&
              d.range.start.line === target.range.start.line &&
              d.range.start.character === target.range.start.character,
          )!;
          const actions = ((await client.codeActions(uri, diagnostic.range, [diagnostic])) ?? []).filter(
            isCodeAction,
          ) as CodeAction[];
          const fix = actions.find((a) => a.kind === 'quickfix' && !/noqa|Disable/i.test(a.title));
          if (!fix) continue;
          fixed++;
          const edits = editsFor(fix.edit, uri);
          const after = applyWorkspaceEdit(text, uri, fix.edit);
          client.change(uri, 2, contentChanges(edits));
          const diagnostics = await client.diagnostics(uri, 2);

          assert.equal(errors(after), 0, `"${fix.title}" breaks the syntax:\n${after}`);
          const expected = before
            .filter((d) => d !== diagnostic && !putsRateToWork(d, edits))
            .map((d) => described(text, d))
            .sort();
          const actual = diagnostics.map((d) => described(after, d)).sort();
          assert.deepEqual(
            actual,
            expected,
            `"${fix.title}" must remove its own finding and leave every other one as it was`,
          );

          // The stale diagnostic gets nothing: a second application cannot happen.
          const again = ((await client.codeActions(uri, diagnostic.range, [diagnostic])) ?? []).filter(
            isCodeAction,
          ) as CodeAction[];
          assert.ok(!again.some((a) => a.title === fix.title), `"${fix.title}" is offered again after it was applied`);
        }
        assert.ok(fixed > 0, `${fixture}: no ${code} finding offered a fix`);
      });
    }
  });
}

describe('summaries follow edits', () => {
  test('editing a sublayer class changes the findings of the block that uses it, and back', async () => {
    const text = [
      'import torch.nn as nn',
      '',
      'class Attention(nn.Module):',
      '    def __init__(self, dim, dropout=0.1):',
      '        super().__init__()',
      '        self.proj = nn.Linear(dim, dim)',
      '        self.resid_dropout = nn.Dropout(dropout)',
      '',
      '    def forward(self, x):',
      '        return self.resid_dropout(self.proj(x))',
      '',
      'class Block(nn.Module):',
      '    def __init__(self, dim, dropout=0.1):',
      '        super().__init__()',
      '        self.attn = Attention(dim, dropout)',
      '        self.ff = nn.Sequential(nn.Linear(dim, dim), nn.Dropout(dropout))',
      '',
      '    def forward(self, x):',
      '        x = x + self.attn(x)',
      '        return x + self.ff(x)',
      '',
    ].join('\n');
    const uri = project.uri(`summary${++counter}.py`);
    client.open(uri, text);
    assert.deepEqual(
      (await client.diagnostics(uri, 1)).map((d) => d.code),
      [],
    );
    // The attention loses its residual dropout (a refactor that drops the wrapper): the block's attention branch is
    // now bare next to its dropped feed-forward branch.
    const line = 9;
    const start = '        return '.length;
    client.change(uri, 2, [
      {
        range: { start: { line, character: start }, end: { line, character: start + 'self.resid_dropout('.length } },
        text: '',
      },
    ]);
    client.change(uri, 3, [
      {
        range: {
          start: { line, character: start + 'self.proj(x)'.length },
          end: { line, character: start + 'self.proj(x))'.length },
        },
        text: '',
      },
    ]);
    const broken = await client.diagnostics(uri, 3);
    assert.deepEqual(
      broken.map((d) => `${d.code}@${d.range.start.line}`),
      ['RG007@6', 'RG002@18'],
    );
    // Undo: the finding goes away with no edit to the block itself.
    client.change(uri, 4, [
      {
        range: { start: { line, character: 0 }, end: { line, character: 200 } },
        text: '        return self.resid_dropout(self.proj(x))',
      },
    ]);
    assert.deepEqual(
      (await client.diagnostics(uri, 4)).map((d) => d.code),
      [],
    );
  });
});
