import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CancellationTokenSource,
  CodeActionRequest,
  DiagnosticTag,
  type CodeAction,
  type Diagnostic,
} from 'vscode-languageserver-protocol/node';
import { initParser, SourceFile } from '../../server/engine/parser';
import {
  applyWorkspaceEdit,
  contentChanges,
  codes,
  editsFor,
  isCodeAction,
  positionOf,
  TestClient,
  tempProject,
} from './client';
import { BLOCK, MIXED, modelFile } from './fixtures';

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

/** Opens `text` as a new file and returns its uri and diagnostics. */
async function open(text: string): Promise<{ uri: string; diagnostics: Diagnostic[] }> {
  const uri = project.uri(`doc${++counter}.py`);
  client.open(uri, text);
  return { uri, diagnostics: await client.diagnostics(uri, 1) };
}

async function actionsFor(uri: string, diagnostics: Diagnostic[], only?: string[]): Promise<CodeAction[]> {
  const range = diagnostics[0]?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  const result = (await client.codeActions(uri, range, diagnostics, only)) ?? [];
  assert.ok(result.every(isCodeAction), 'code actions are literals with edits, not commands');
  return result as CodeAction[];
}

/** Applies an action the way the editor does (the WorkspaceEdit to the text, then a didChange) and re-lints. */
async function apply(
  uri: string,
  text: string,
  version: number,
  action: CodeAction,
): Promise<{ text: string; diagnostics: Diagnostic[] }> {
  const edits = editsFor(action.edit, uri);
  assert.ok(edits.length > 0, `${action.title} has no edit for ${uri}`);
  const after = applyWorkspaceEdit(text, uri, action.edit);
  client.change(uri, version, contentChanges(edits));
  return { text: after, diagnostics: await client.diagnostics(uri, version) };
}

function parsesCleanly(text: string): boolean {
  const file = new SourceFile(text);
  try {
    return file.syntaxErrorCount() === 0;
  } finally {
    file.dispose();
  }
}

test('the safe quick fix for RG006 is preferred, fixes the call, and is not offered again', async () => {
  const { uri, diagnostics } = await open(BLOCK);
  const rg006 = diagnostics.find((d) => d.code === 'RG006')!;
  const actions = await actionsFor(uri, [rg006]);
  const fix = actions.find((a) => a.title === 'Reglens (RG006): Pass `training=self.training`');
  assert.ok(fix, `actions: ${actions.map((a) => a.title).join(', ')}`);
  assert.equal(fix.kind, 'quickfix');
  assert.equal(fix.isPreferred, true);
  assert.deepEqual(fix.diagnostics, [rg006]);
  // Versioned, so the editor refuses it if the text moved on.
  assert.equal((fix.edit!.documentChanges![0] as { textDocument: { version: number } }).textDocument.version, 1);

  const result = await apply(uri, BLOCK, 2, fix);
  assert.equal(result.text.split('\n')[10], '        x = F.dropout(x, 0.1, training=self.training)');
  assert.ok(parsesCleanly(result.text));
  assert.deepEqual(codes(result.diagnostics), ['RG007@7'], 'RG006 no longer fires; RG007 is untouched');

  // Asking again with the old diagnostic (a stale lightbulb) offers nothing for RG006: applying twice is impossible.
  const again = await actionsFor(uri, [rg006]);
  assert.deepEqual(again, []);
});

test('a diagnostic from an older version of the text gets no fix', async () => {
  const text = BLOCK.replace(
    '        return self.fc(x)',
    '        y = F.dropout(self.fc(x), 0.2)\n        return self.fc(x + y)',
  );
  const { uri, diagnostics } = await open(text);
  assert.deepEqual(codes(diagnostics), ['RG007@7', 'RG006@10', 'RG006@11']);
  const [, first] = diagnostics;
  const fix = (await actionsFor(uri, [first])).find(
    (a) => a.title === 'Reglens (RG006): Pass `training=self.training`',
  )!;
  const result = await apply(uri, text, 2, fix);
  assert.deepEqual(codes(result.diagnostics), ['RG007@7', 'RG006@11']);
  // The old diagnostic no longer matches a problem (the other RG006 must not be fixed in its name).
  assert.deepEqual(await actionsFor(uri, [first]), []);
  // The current one still gets its fix, aimed at line 11.
  const current = result.diagnostics[1];
  const next = (await actionsFor(uri, [current])).find(
    (a) => a.title === 'Reglens (RG006): Pass `training=self.training`',
  )!;
  assert.equal(editsFor(next.edit, uri)[0].range.start.line, 11);
});

test('an unsafe fix says so in its title and is not preferred', async () => {
  const { uri, diagnostics } = await open(BLOCK);
  const rg007 = diagnostics.find((d) => d.code === 'RG007')!;
  const actions = await actionsFor(uri, [rg007]);
  const fix = actions.find((a) => a.title.startsWith('Reglens (RG007): Remove the unused'));
  assert.ok(fix);
  assert.equal(fix.title, 'Reglens (RG007): Remove the unused `self.drop` (unsafe)');
  assert.notEqual(fix.isPreferred, true);
  const result = await apply(uri, BLOCK, 2, fix);
  assert.ok(!result.text.includes('self.drop'));
  assert.ok(parsesCleanly(result.text));
  assert.deepEqual(codes(result.diagnostics), ['RG006@9']);
});

test('an unused drop path: apply it to the residual branches first, remove it second', async () => {
  const text = [
    'import torch.nn as nn',
    'from timm.layers import DropPath',
    '',
    'class Block(nn.Module):',
    '    def __init__(self, dim, drop_path=0.1):',
    '        super().__init__()',
    '        self.attn = nn.Linear(dim, dim)',
    '        self.mlp = nn.Linear(dim, dim)',
    '        self.drop_path = DropPath(drop_path)',
    '',
    '    def forward(self, x):',
    '        x = x + self.attn(x)',
    '        x = x + self.mlp(x)',
    '        return x',
    '',
  ].join('\n');
  const { uri, diagnostics } = await open(text);
  assert.deepEqual(codes(diagnostics), ['RG007@8']);
  const fixes = (await actionsFor(uri, diagnostics)).filter((a) => a.title.startsWith('Reglens (RG007)'));
  assert.deepEqual(
    fixes.map((a) => a.title),
    [
      'Reglens (RG007): Apply `self.drop_path` to the residual branches (`self.attn`, `self.mlp`) (unsafe)',
      'Reglens (RG007): Remove the unused `self.drop_path` (unsafe)',
    ],
  );
  const result = await apply(uri, text, 2, fixes[0]);
  assert.match(
    result.text,
    /x = x \+ self\.drop_path\(self\.attn\(x\)\)\n {8}x = x \+ self\.drop_path\(self\.mlp\(x\)\)/,
  );
  assert.deepEqual(codes(result.diagnostics), []);
});

test('quick fixes are offered only for the diagnostics in the request, and only when quickfix is wanted', async () => {
  const { uri, diagnostics } = await open(MIXED);
  const rg011 = diagnostics.find((d) => d.code === 'RG011')!;
  const titles = (await actionsFor(uri, [rg011])).map((a) => a.title);
  assert.deepEqual(titles, [
    'Reglens (RG011): Assign the result back to `x`',
    'Disable RG011 for this line',
    'Fix all safe Reglens problems',
    'Show documentation for RG011',
  ]);
  // The out-of-range rate has no fix, only the noqa action.
  const rg008 = diagnostics.find((d) => d.code === 'RG008')!;
  assert.deepEqual(
    (await actionsFor(uri, [rg008])).map((a) => a.title),
    ['Disable RG008 for this line', 'Fix all safe Reglens problems', 'Show documentation for RG008'],
  );
  assert.deepEqual(await actionsFor(uri, [rg011], ['refactor']), []);
  // Diagnostics of other tools are left alone.
  assert.deepEqual(await actionsFor(uri, [{ ...rg011, source: 'ruff', code: 'F401' }]), []);
});

test('the menu offers fix-all for the rule and the file, resolved only when chosen, and the rule docs', async () => {
  const text = BLOCK.replace(
    '        return self.fc(x)',
    '        x = F.dropout(self.fc(x), 0.2)\n        return self.fc(x)',
  );
  const { uri, diagnostics } = await open(text);
  assert.deepEqual(codes(diagnostics), ['RG007@7', 'RG006@10', 'RG006@11']);
  const actions = await actionsFor(uri, [diagnostics[1]]);
  assert.deepEqual(
    actions.map((a) => a.title),
    [
      'Reglens (RG006): Pass `training=self.training`',
      'Disable RG006 for this line',
      'Fix all RG006 problems in this file',
      'Fix all safe Reglens problems',
      'Show documentation for RG006',
    ],
  );
  const docs = actions.find((a) => a.title === 'Show documentation for RG006')!;
  assert.equal(docs.command?.command, 'reglens.showDocumentation');
  assert.match(String(docs.command?.arguments?.[0]), /docs\/rules\/RG006\.md$/);
  // The fix-all entries come without an edit (opening the menu re-checks nothing) and get it on resolve.
  const fixAll = actions.find((a) => a.title === 'Fix all RG006 problems in this file')!;
  assert.equal(fixAll.kind, 'quickfix');
  assert.equal(fixAll.edit, undefined);
  const resolved = await client.resolveCodeAction(fixAll);
  assert.ok(resolved.edit, 'resolved with an edit');
  const result = await apply(uri, text, 2, resolved);
  assert.deepEqual(codes(result.diagnostics), ['RG007@7']);
  assert.equal((result.text.match(/training=self\.training/g) ?? []).length, 2);
  // One fixable RG006 left: no fix-all for it any more.
  const single = BLOCK.replace('x = F.dropout(x, 0.1)', 'x = F.dropout(x, 0.1, training=self.training)');
  const other = await open(
    single.replace('        return self.fc(x)', '        x = F.dropout(x, 0.2)\n        return self.fc(x)'),
  );
  const titles = (await actionsFor(other.uri, [other.diagnostics.find((d) => d.code === 'RG006')!])).map(
    (a) => a.title,
  );
  assert.ok(!titles.some((t) => t.startsWith('Fix all')), titles.join(', '));
});

test('a fix that would make the file parse worse is not offered', async () => {
  // Mid-typing: the list bracket is not closed yet, so appending `, training=self.training` would add an error.
  const text = BLOCK.replace('x = F.dropout(x, 0.1)', 'x = F.dropout(x,[ 0.1)');
  const { uri, diagnostics } = await open(text);
  const rg006 = diagnostics.find((d) => d.code === 'RG006');
  assert.ok(rg006, `diagnostics: ${codes(diagnostics)}`);
  const titles = (await actionsFor(uri, [rg006])).map((a) => a.title);
  assert.ok(!titles.includes('Reglens (RG006): Pass `training=self.training`'), titles.join(', '));
  assert.ok(titles.includes('Disable RG006 for this line'));
});

test('fix-all applies every safe fix in one minimal edit and leaves unsafe ones', async () => {
  const { uri, diagnostics } = await open(MIXED);
  assert.deepEqual(codes(diagnostics), ['RG007@7', 'RG008@8', 'RG008@9', 'RG006@12', 'RG011@13']);
  const actions = await actionsFor(uri, [], ['source.fixAll']);
  assert.equal(actions.length, 1);
  const [fixAll] = actions;
  assert.equal(fixAll.kind, 'source.fixAll.reglens');
  const edits = editsFor(fixAll.edit, uri);
  assert.equal(edits.length, 1);
  // Minimal: from the first changed character to the last, not the whole document.
  assert.deepEqual(edits[0].range, { start: { line: 12, character: 28 }, end: { line: 13, character: 7 } });
  assert.equal(edits[0].newText, ', training=self.training)\n        x =');

  const result = await apply(uri, MIXED, 2, fixAll);
  const lines = result.text.split('\n');
  assert.equal(lines[12], '        x = F.dropout(x, 0.1, training=self.training)');
  assert.equal(lines[13], '        x = F.dropout(x, 0.1, training=self.training)');
  assert.ok(parsesCleanly(result.text));
  // The unsafe fixes (RG007, RG008 keep_prob) and the unfixable RG008 remain; and now that line 13's result is
  // kept, it drops what line 12 just dropped (RG010).
  assert.deepEqual(codes(result.diagnostics), ['RG007@7', 'RG008@8', 'RG008@9', 'RG010@13']);

  // Nothing safe is left: no fix-all action.
  assert.deepEqual(await actionsFor(uri, [], ['source.fixAll']), []);
});

test('fix-all answers to its own kind and the source kinds above it, not to quick-fix requests', async () => {
  const { uri, diagnostics } = await open(BLOCK);
  for (const only of [['source.fixAll.reglens'], ['source.fixAll'], ['source']]) {
    const kinds = (await actionsFor(uri, [], only)).map((a) => a.kind);
    assert.deepEqual(kinds, ['source.fixAll.reglens'], `only: ${only}`);
  }
  assert.ok((await actionsFor(uri, diagnostics, ['quickfix'])).every((a) => a.kind === 'quickfix'));
  assert.ok((await actionsFor(uri, diagnostics)).every((a) => a.kind === 'quickfix'));
  assert.deepEqual(await actionsFor(uri, [], ['source.organizeImports']), []);
});

test('fix-all offers nothing for a file whose only fixes are unsafe', async () => {
  const onlyUnsafe = BLOCK.replace('x = F.dropout(x, 0.1)', 'x = F.dropout(x, 0.1, training=self.training)');
  const { uri, diagnostics } = await open(onlyUnsafe);
  assert.deepEqual(codes(diagnostics), ['RG007@7']);
  assert.deepEqual(await actionsFor(uri, [], ['source.fixAll']), []);
});

test('"Disable RGxxx for this line" adds a noqa comment, and the problem goes away', async () => {
  const { uri, diagnostics } = await open(BLOCK);
  const rg006 = diagnostics.find((d) => d.code === 'RG006')!;
  const disable = (await actionsFor(uri, [rg006])).find((a) => a.title === 'Disable RG006 for this line');
  assert.ok(disable);
  assert.equal(disable.kind, 'quickfix');
  assert.deepEqual(disable.diagnostics, [rg006]);
  assert.notEqual(disable.isPreferred, true);
  const result = await apply(uri, BLOCK, 2, disable);
  assert.equal(result.text.split('\n')[10], '        x = F.dropout(x, 0.1)  # noqa: RG006');
  assert.deepEqual(codes(result.diagnostics), ['RG007@7']);
});

test('"Disable RGxxx for this line" extends an existing noqa list', async () => {
  const text = BLOCK.replace('x = F.dropout(x, 0.1)', 'x = F.dropout(x, 0.1)  # noqa: E501 (long line)');
  const { uri, diagnostics } = await open(text);
  const rg006 = diagnostics.find((d) => d.code === 'RG006')!;
  const disable = (await actionsFor(uri, [rg006])).find((a) => a.title === 'Disable RG006 for this line')!;
  const result = await apply(uri, text, 2, disable);
  assert.equal(result.text.split('\n')[10], '        x = F.dropout(x, 0.1)  # noqa: E501, RG006 (long line)');
  assert.deepEqual(codes(result.diagnostics), ['RG007@7']);

  // A second code on the same line extends the list again.
  const text2 = BLOCK.replace('self.drop = nn.Dropout(0.1)', 'self.drop = nn.Dropout(1.5)  # noqa: RG008');
  const second = await open(text2);
  assert.deepEqual(codes(second.diagnostics), ['RG007@7', 'RG006@10']);
  const rg007 = second.diagnostics[0];
  const disable7 = (await actionsFor(second.uri, [rg007])).find((a) => a.title === 'Disable RG007 for this line')!;
  const result2 = await apply(second.uri, text2, 2, disable7);
  assert.equal(result2.text.split('\n')[7], '        self.drop = nn.Dropout(1.5)  # noqa: RG008, RG007');
  assert.deepEqual(codes(result2.diagnostics), ['RG006@10']);
});

test('a `# noqa` that silences nothing is RG100, faded, fixed by removing it, never silenced by another', async () => {
  // The RG006 call was fixed; its directive stayed.
  const text = BLOCK.replace('x = F.dropout(x, 0.1)', 'x = F.dropout(x, 0.1, training=self.training)  # noqa: RG006');
  const { uri, diagnostics } = await open(text);
  assert.deepEqual(codes(diagnostics), ['RG007@7', 'RG100@10']);
  const rg100 = diagnostics.find((d) => d.code === 'RG100')!;
  assert.deepEqual(rg100.tags, [DiagnosticTag.Unnecessary]);
  assert.match(rg100.message, /silences nothing: no RG006 finding starts on this line/);
  const actions = await actionsFor(uri, [rg100]);
  assert.ok(!actions.some((a) => /Disable RG100/.test(a.title)), actions.map((a) => a.title).join(', '));
  const remove = actions.find((a) => a.title === 'Reglens (RG100): Remove the unused `# noqa` directive')!;
  assert.equal(remove.isPreferred, true);
  const result = await apply(uri, text, 2, remove);
  assert.equal(result.text.split('\n')[10], '        x = F.dropout(x, 0.1, training=self.training)');
  assert.deepEqual(codes(result.diagnostics), ['RG007@7']);
});

test('in a CRLF file, removing an unused `# noqa` ends at the line end and keeps the line break', async () => {
  // The comment token tree-sitter reads runs to the `\n`, so it holds the `\r` past the line's end (a fuzzer found it).
  const text = BLOCK.replace(
    'x = F.dropout(x, 0.1)',
    'x = F.dropout(x, 0.1, training=self.training)  # noqa: RG006',
  ).replace(/\n/g, '\r\n');
  const { uri, diagnostics } = await open(text);
  const rg100 = diagnostics.find((d) => d.code === 'RG100')!;
  const line = text.split('\r\n')[10];
  assert.equal(rg100.range.end.character, line.length);
  const remove = (await actionsFor(uri, [rg100])).find((a) => a.title.startsWith('Reglens (RG100)'))!;
  const [edit] = editsFor(remove.edit, uri);
  assert.deepEqual(edit.range.end, { line: 10, character: line.length });
  const result = await apply(uri, text, 2, remove);
  assert.equal(result.text.split('\r\n')[10], '        x = F.dropout(x, 0.1, training=self.training)');
  assert.equal(result.text.split('\r\n').length, text.split('\r\n').length);
  assert.deepEqual(codes(result.diagnostics), ['RG007@7']);
});

test('no noqa action where a comment cannot go: after a backslash, or inside a string', async () => {
  const continued = BLOCK.replace('x = F.dropout(x, 0.1)', 'x = F.dropout(x, 0.1) + \\\n            0');
  const a = await open(continued);
  const rg006 = a.diagnostics.find((d) => d.code === 'RG006')!;
  const titles = (await actionsFor(a.uri, [rg006])).map((x) => x.title);
  assert.ok(titles.includes('Reglens (RG006): Pass `training=self.training`'), titles.join(', '));
  assert.ok(!titles.includes('Disable RG006 for this line'), titles.join(', '));

  const inString = BLOCK.replace(
    'x = F.dropout(x, 0.1)',
    'x = F.dropout(x, 0.1) + len("""first\n            second""")',
  );
  const b = await open(inString);
  const rg006b = b.diagnostics.find((d) => d.code === 'RG006')!;
  const titlesB = (await actionsFor(b.uri, [rg006b])).map((x) => x.title);
  assert.ok(titlesB.includes('Reglens (RG006): Pass `training=self.training`'), titlesB.join(', '));
  assert.ok(!titlesB.includes('Disable RG006 for this line'), titlesB.join(', '));
});

test('a cancelled code-action request is answered with nothing', async () => {
  const { uri, diagnostics } = await open(BLOCK);
  const request = { textDocument: { uri }, range: diagnostics[0].range, context: { diagnostics } };
  // Work queued ahead of the request (two large documents to parse) gives the server time to read the cancellation
  // before it gets to the request. Whether it has read it by then is up to timing, so try a few times.
  const busy = modelFile(8000).text;
  const answers: unknown[] = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    const busyUris = [project.uri(`busy-${attempt}-a.py`), project.uri(`busy-${attempt}-b.py`)];
    for (const busyUri of busyUris) client.open(busyUri, busy);
    const source = new CancellationTokenSource();
    const answer = client.connection.sendRequest(CodeActionRequest.type, request, source.token);
    source.cancel();
    answers.push(await answer.catch((e: Error) => e.message));
    for (const busyUri of busyUris) client.close(busyUri);
    if (Array.isArray(answers[answers.length - 1]) && (answers[answers.length - 1] as unknown[]).length === 0) break;
  }
  assert.ok(
    answers.some((a) => Array.isArray(a) && a.length === 0),
    `every cancelled request got a full answer: ` +
      `${JSON.stringify(answers.map((a) => (Array.isArray(a) ? a.length : a)))}`,
  );
  // The same request, not cancelled, is answered in full.
  assert.ok((await actionsFor(uri, diagnostics)).length >= 2);
});

test('positions are UTF-16: a fix after non-ASCII text lands in the right place', async () => {
  const text = BLOCK.replace('x = F.dropout(x, 0.1)', 'x = F.dropout(x, 0.1) if "é🙂" else x');
  const { uri, diagnostics } = await open(text);
  const rg006 = diagnostics.find((d) => d.code === 'RG006')!;
  assert.deepEqual(rg006.range.start, positionOf(text, 'F.dropout'));
  const disable = (await actionsFor(uri, [rg006])).find((a) => a.title === 'Disable RG006 for this line')!;
  const result = await apply(uri, text, 2, disable);
  assert.equal(result.text.split('\n')[10], '        x = F.dropout(x, 0.1) if "é🙂" else x  # noqa: RG006');
  assert.deepEqual(codes(result.diagnostics), ['RG007@7']);
});
