import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CodeActionRequest, HoverRequest } from 'vscode-languageserver-protocol/node';
import { codes, TestClient, tempProject } from './client';
import { BLOCK } from './fixtures';

let client: TestClient;
const project = tempProject();

before(async () => {
  client = await TestClient.start();
});

after(() => {
  client.dispose();
  project.cleanup();
});

test('malformed requests are answered with nothing and logged; the server keeps working', async () => {
  const uri = project.uri('a.py');
  client.open(uri, BLOCK);
  const diagnostics = await client.diagnostics(uri, 1);
  const errorsBefore = client.logs.filter((l) => l.type === 1).length;

  // A Reglens diagnostic without a range (a confused client), and a hover at an absurd position.
  const broken = { ...diagnostics[1], range: undefined } as unknown as (typeof diagnostics)[number];
  const actions = await client.connection.sendRequest(CodeActionRequest.type, {
    textDocument: { uri },
    range: diagnostics[1].range,
    context: { diagnostics: [broken] },
  });
  assert.deepEqual(actions, []);
  assert.equal(
    await client.connection.sendRequest(HoverRequest.type, {
      textDocument: { uri },
      position: { line: -5, character: 1e9 },
    }),
    null,
  );
  // Changes for a document that was never opened are ignored.
  client.change(project.uri('never-opened.py'), 2, [
    { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: 'x' },
  ]);
  await client.sync();
  assert.ok(client.logs.filter((l) => l.type === 1).length > errorsBefore, 'the failure is logged as an error');

  // Still fully functional.
  client.change(uri, 2, [
    {
      range: { start: { line: 10, character: 28 }, end: { line: 10, character: 28 } },
      text: ', training=self.training',
    },
  ]);
  assert.deepEqual(codes(await client.diagnostics(uri, 2)), ['RG007@7']);
  const fixes = await client.codeActions(uri, diagnostics[0].range, [(await client.diagnostics(uri, 2))[0]]);
  assert.ok((fixes ?? []).length >= 2);
});

test('changes with out-of-range positions are clamped, as editors expect', async () => {
  const uri = project.uri('clamp.py');
  client.open(uri, BLOCK);
  await client.diagnostics(uri, 1);
  // Appending past the end of the document (line 99) adds text at the end.
  client.change(uri, 2, [
    {
      range: { start: { line: 99, character: 0 }, end: { line: 99, character: 0 } },
      text: '\nclass Other(nn.Module):\n    def forward(self, x):\n        return F.dropout(x, 0.5)\n',
    },
  ]);
  assert.deepEqual(codes(await client.diagnostics(uri, 2)), ['RG007@7', 'RG006@10', 'RG006@15']);
});

test('the server survives a document it cannot make sense of, including every edit to it', async () => {
  const uri = project.uri('noise.py');
  let noise = '';
  for (let i = 0; i < 4000; i++) noise += String.fromCharCode((i * 7919) % 0xffff);
  client.open(uri, `${noise}\n${BLOCK}`);
  assert.ok(Array.isArray(await client.diagnostics(uri, 1)));
  for (let v = 2; v < 12; v++) {
    client.change(uri, v, [
      {
        range: { start: { line: 0, character: v * 13 }, end: { line: 1, character: v } },
        text: String.fromCharCode(0xd800 + v, 0, 10, 0xdfff),
      },
    ]);
  }
  assert.ok(Array.isArray(await client.diagnostics(uri, 11)));
  // Requests on it are still answered.
  await client.connection.sendRequest(HoverRequest.type, {
    textDocument: { uri },
    position: { line: 0, character: 5 },
  });
  assert.ok(
    Array.isArray(
      await client.codeActions(
        uri,
        { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
        [],
        ['source.fixAll'],
      ),
    ),
  );
  const other = project.uri('fine.py');
  client.open(other, BLOCK);
  assert.deepEqual(codes(await client.diagnostics(other, 1)), ['RG007@7', 'RG006@10']);
});

test('a file nested past the depth limit is left unchecked, still answers, and is checked once edited', async () => {
  // `y = x + x + …`: thousands of operators in one expression, a tree thousands of levels deep without a bracket.
  const uri = project.uri('chain.py');
  const errorsBefore = client.logs.filter((l) => l.type === 1).length;
  const lines = BLOCK.split('\n');
  const chain = `        y = x${' + x'.repeat(3000)}`;
  lines.splice(10, 0, chain);
  client.open(uri, lines.join('\n'));
  assert.deepEqual(await client.diagnostics(uri, 1), []);
  const said = client.messages.filter((m) => m.message.includes('chain.py is not checked'));
  assert.equal(said.length, 1, JSON.stringify(client.messages));
  assert.match(said[0].message, /nested more than 1000 levels deep/);
  assert.equal(
    await client.connection.sendRequest(HoverRequest.type, {
      textDocument: { uri },
      position: { line: 10, character: 20 },
    }),
    null,
  );
  await client.codeLenses(uri);
  assert.deepEqual(
    client.logs.filter((l) => l.type === 1).slice(errorsBefore),
    [],
    'nothing fails on it: it is plain text until an edit lets it be analysed',
  );
  // An edit that shortens the chain makes it a file like any other.
  client.change(uri, 2, [
    { range: { start: { line: 10, character: 13 }, end: { line: 10, character: chain.length } }, text: ' + x' },
  ]);
  assert.deepEqual(codes(await client.diagnostics(uri, 2)), ['RG007@7', 'RG006@11']);
});
