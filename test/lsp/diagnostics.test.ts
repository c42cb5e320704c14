import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { applyTextEdits, codes, positionOf, TestClient, tempProject } from './client';
import { BLOCK, CLEAN, comparable, MIXED } from './fixtures';

let client: TestClient;
const project = tempProject();

before(async () => {
  client = await TestClient.start();
});

after(() => {
  client.dispose();
  project.cleanup();
});

test('didOpen publishes diagnostics with code, docs link, source, severity, range and version', async () => {
  const uri = project.uri('open.py');
  project.write('open.py', BLOCK);
  client.open(uri, BLOCK, 7);
  const published = await client.publishFor(uri, 7);
  assert.equal(published.version, 7);
  const [rg007, rg006] = published.diagnostics;
  assert.deepEqual(codes(published.diagnostics), ['RG007@7', 'RG006@10']);

  assert.equal(rg006.source, 'reglens');
  assert.equal(rg006.severity, 2 /* Warning */);
  assert.equal(rg006.codeDescription?.href, 'https://github.com/reglens/reglens/blob/main/docs/rules/RG006.md');
  assert.match(rg006.message, /F\.dropout.*training/);
  // The range is the call `F.dropout(x, 0.1)`.
  const start = positionOf(BLOCK, 'F.dropout(x, 0.1)');
  assert.deepEqual(rg006.range, {
    start,
    end: { line: start.line, character: start.character + 'F.dropout(x, 0.1)'.length },
  });
  assert.equal(rg006.tags, undefined);
  assert.ok(rg006.data !== undefined, 'diagnostics carry data for code actions');

  // An unused submodule is greyed out.
  assert.deepEqual(rg007.tags, [1 /* Unnecessary */]);
  assert.equal(rg007.codeDescription?.href, 'https://github.com/reglens/reglens/blob/main/docs/rules/RG007.md');
  assert.deepEqual(rg007.range.start, positionOf(BLOCK, 'self.drop = nn.Dropout(0.1)'));
});

test('every rule reports through the server, an out-of-range rate as an error', async () => {
  const uri = project.uri('mixed.py');
  client.open(uri, MIXED);
  const diagnostics = await client.diagnostics(uri, 1);
  assert.deepEqual(codes(diagnostics), ['RG007@7', 'RG008@8', 'RG008@9', 'RG006@12', 'RG011@13']);
  assert.equal(diagnostics[1].severity, 1 /* Error */);
  assert.equal(diagnostics[2].severity, 2 /* Warning */);
});

test('incremental edits: typing the bug makes the finding appear, fixing it makes it disappear', async () => {
  const uri = project.uri('typing.py');
  let text = CLEAN;
  let version = 1;
  client.open(uri, text, version);
  assert.deepEqual(await client.diagnostics(uri, version), []);

  const edit = async (
    range: { start: { line: number; character: number }; end: { line: number; character: number } },
    newText: string,
  ) => {
    text = applyTextEdits(text, [{ range, newText }]);
    version++;
    client.change(uri, version, [{ range, text: newText }]);
    return client.diagnostics(uri, version);
  };
  const typeAt = async (line: number, character: number, typed: string) => {
    let diagnostics: Diagnostic[] = [];
    for (let i = 0; i < typed.length; i++)
      diagnostics = await edit(
        { start: { line, character: character + i }, end: { line, character: character + i } },
        typed[i],
      );
    return diagnostics;
  };

  // A new line after `x = self.drop(x)` (line 10), then the bug, one keystroke at a time.
  const lineEnd = { line: 10, character: '        x = self.drop(x)'.length };
  await edit({ start: lineEnd, end: lineEnd }, '\n        ');
  let diagnostics = await typeAt(11, 8, 'y = F.dropout(self.fc(x), 0.1)');
  assert.deepEqual(codes(diagnostics), ['RG006@11']);
  assert.equal(text.split('\n')[11], '        y = F.dropout(self.fc(x), 0.1)');

  // Fix it by typing the training flag before the closing parenthesis.
  diagnostics = await typeAt(11, '        y = F.dropout(self.fc(x), 0.1'.length, ', training=self.training');
  assert.deepEqual(diagnostics, []);

  // Back to the bug by deleting the flag in one edit, then a multi-line replacement that also unuses self.drop.
  diagnostics = await edit(
    {
      start: { line: 11, character: '        y = F.dropout(self.fc(x), 0.1'.length },
      end: { line: 11, character: '        y = F.dropout(self.fc(x), 0.1, training=self.training'.length },
    },
    '',
  );
  assert.deepEqual(codes(diagnostics), ['RG006@11']);
  diagnostics = await edit(
    { start: { line: 10, character: 8 }, end: { line: 11, character: 9 } },
    'x = x * 2\n        y',
  );
  assert.deepEqual(codes(diagnostics), ['RG007@7', 'RG006@11']);

  // The incrementally maintained document analyses exactly like a fresh open of the same text.
  const fresh = project.uri('typing-fresh.py');
  client.open(fresh, text);
  assert.deepEqual(comparable(await client.diagnostics(fresh, 1)), comparable(diagnostics));
});

test('a burst of changes is analysed once it is in, and the last version is what gets published', async () => {
  const uri = project.uri('burst.py');
  let text = CLEAN;
  client.open(uri, text);
  await client.diagnostics(uri, 1);
  const publishedBefore = client.published.filter((p) => p.uri === uri).length;
  // Thirty single-character insertions sent back to back, like a paste replayed by a slow client.
  const at = positionOf(CLEAN, 'x = self.drop(x)');
  const typed = 'y = F.dropout(x, 0.25) + x; ';
  for (let i = 0; i < typed.length; i++) {
    const position = { line: at.line, character: at.character + i };
    text = applyTextEdits(text, [{ range: { start: position, end: position }, newText: typed[i] }]);
    client.change(uri, 2 + i, [{ range: { start: position, end: position }, text: typed[i] }]);
  }
  const last = 1 + typed.length;
  const published = await client.publishFor(uri, last);
  assert.equal(published.version, last);
  assert.deepEqual(codes(published.diagnostics), ['RG006@10']);
  const publishes = client.published.filter((p) => p.uri === uri).length - publishedBefore;
  assert.ok(publishes < typed.length, `${publishes} publishes for ${typed.length} changes: analysis is not coalesced`);

  const fresh = project.uri('burst-fresh.py');
  client.open(fresh, text);
  assert.deepEqual(comparable(await client.diagnostics(fresh, 1)), comparable(published.diagnostics));
});

test('several content changes in one didChange are applied in order', async () => {
  const uri = project.uri('multi.py');
  client.open(uri, CLEAN);
  await client.diagnostics(uri, 1);
  const at = positionOf(CLEAN, 'x = self.drop(x)');
  // Replace the call with the functional form (RG006 + RG007), then rename the variable in the same message.
  client.change(uri, 2, [
    {
      range: {
        start: { line: at.line, character: at.character + 4 },
        end: { line: at.line, character: at.character + 16 },
      },
      text: 'F.dropout(x, 0.5)',
    },
    { range: { start: at, end: { line: at.line, character: at.character + 1 } }, text: 'z' },
  ]);
  const diagnostics = await client.diagnostics(uri, 2);
  assert.deepEqual(codes(diagnostics), ['RG007@7', 'RG006@10']);
  assert.deepEqual(diagnostics[1].range.start, { line: at.line, character: at.character + 4 });
});

test('a syntax error does not hide findings in the intact code after it', async () => {
  const uri = project.uri('broken.py');
  const text = [
    'import torch.nn as nn',
    'import torch.nn.functional as F',
    '',
    'def helper(x:',
    '    return (x',
    '',
    'class Block(nn.Module):',
    '    def forward(self, x):',
    '        x = F.dropout(x, 0.1)',
    '        return x',
    '',
  ].join('\n');
  client.open(uri, text);
  assert.deepEqual(codes(await client.diagnostics(uri, 1)), ['RG006@8']);
});

test('a binary-looking document (NUL bytes, lone surrogates) does not take the server down', async () => {
  const uri = project.uri('binary.py');
  const junk = '\u0000\u0000\uD800x\uDFFF\u0000dropout\uFFFE\uD83D';
  client.open(uri, `${junk}\n${BLOCK}`);
  const diagnostics = await client.diagnostics(uri, 1);
  assert.ok(Array.isArray(diagnostics));
  // Edits into the junk keep working.
  client.change(uri, 2, [
    { range: { start: { line: 0, character: 2 }, end: { line: 0, character: 4 } }, text: '\u0000\uDC00\n\u0000' },
  ]);
  assert.ok(Array.isArray(await client.diagnostics(uri, 2)));
  // And the server still analyses other documents.
  const other = project.uri('after-binary.py');
  client.open(other, BLOCK);
  assert.deepEqual(codes(await client.diagnostics(other, 1)), ['RG007@7', 'RG006@10']);
});

test('an untitled document is analysed with the default rules', async () => {
  const uri = 'untitled:Untitled-3';
  client.open(uri, BLOCK);
  assert.deepEqual(codes(await client.diagnostics(uri, 1)), ['RG007@7', 'RG006@10']);
});

test('closing a document clears its diagnostics', async () => {
  const uri = project.uri('closing.py');
  client.open(uri, BLOCK);
  assert.equal((await client.diagnostics(uri, 1)).length, 2);
  const cleared = client.nextDiagnostics(uri);
  client.close(uri);
  assert.deepEqual(await cleared, []);
  // Reopened, it is analysed afresh.
  client.open(uri, CLEAN, 5);
  assert.deepEqual(await client.diagnostics(uri, 5), []);
});

test('a document over the size limit gets one message and no analysis, until it shrinks', async () => {
  const uri = project.uri('huge.py');
  const filler = '# dropout padding line, long enough to make the file big quickly ...............................\n';
  const huge = BLOCK + filler.repeat(Math.ceil((8 * 1024 * 1024) / filler.length) + 10);
  const messagesBefore = client.messages.length;
  client.open(uri, huge);
  assert.deepEqual(await client.diagnostics(uri, 1), []);
  // Typing in it neither analyses it nor repeats the message.
  client.change(uri, 2, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '#' }]);
  assert.deepEqual(await client.diagnostics(uri, 2), []);
  await client.sync();
  const messages = client.messages.slice(messagesBefore);
  assert.equal(messages.length, 1, JSON.stringify(messages));
  assert.equal(messages[0].type, 2 /* Warning */);
  assert.match(messages[0].message, /huge\.py.*MB/);

  // Deleting the padding brings the findings back.
  const lines = huge.split('\n').length;
  client.change(uri, 3, [
    { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, text: '' },
    { range: { start: { line: 12, character: 0 }, end: { line: lines, character: 0 } }, text: '' },
  ]);
  assert.deepEqual(codes(await client.diagnostics(uri, 3)), ['RG007@7', 'RG006@10']);
});
