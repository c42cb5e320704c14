import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { MarkupContent } from 'vscode-languageserver-protocol';
import { positionOf, TestClient, tempProject } from './client';
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

function markdown(hover: Awaited<ReturnType<TestClient['hover']>>): string {
  assert.ok(hover, 'expected a hover');
  const contents = hover.contents as MarkupContent;
  assert.equal(contents.kind, 'markdown');
  return contents.value;
}

test('hovering over a problem shows its rule: name, summary, explanation and docs link', async () => {
  const uri = project.uri('hover.py');
  client.open(uri, BLOCK);
  const diagnostics = await client.diagnostics(uri, 1);
  const rg006 = diagnostics.find((d) => d.code === 'RG006')!;
  // Inside the range, on `dropout`.
  const at = positionOf(BLOCK, 'dropout(x, 0.1)');
  const hover = await client.hover(uri, at);
  const text = markdown(hover);
  assert.match(text, /^\*\*RG006 regularizer-active-in-eval\*\*/);
  assert.match(text, /keeps dropping values after `model\.eval\(\)`/); // the summary
  assert.match(text, /`model\.eval\(\)` switches every submodule's `training` flag off/); // the explanation
  assert.ok(text.includes('(https://github.com/reglens/reglens/blob/main/docs/rules/RG006.md)'), text);
  assert.deepEqual(hover!.range, rg006.range);

  // The first character of the range counts; the character just after it does not.
  assert.ok(await client.hover(uri, rg006.range.start));
  const afterRange = await client.hover(uri, rg006.range.end);
  assert.equal(afterRange, null);

  // The unused dropout line shows RG007.
  assert.match(markdown(await client.hover(uri, positionOf(BLOCK, 'nn.Dropout(0.1)'))), /^\*\*RG007 unused-regularizer\*\*/);
  // Elsewhere there is nothing to say.
  assert.equal(await client.hover(uri, positionOf(BLOCK, 'super()')), null);
});

test('hovering over a code in a noqa comment explains that rule', async () => {
  const text = BLOCK.replace('x = F.dropout(x, 0.1)', 'x = F.dropout(x, 0.1)  # noqa: E501, RG006');
  const uri = project.uri('noqa-hover.py');
  client.open(uri, text);
  const diagnostics = await client.diagnostics(uri, 1);
  assert.deepEqual(diagnostics.map((d) => d.code), ['RG007'], 'the noqa comment silences RG006');

  const code = positionOf(text, 'RG006');
  const hover = await client.hover(uri, { line: code.line, character: code.character + 2 });
  const value = markdown(hover);
  assert.match(value, /^\*\*RG006 regularizer-active-in-eval\*\*/);
  assert.match(value, /`F\.dropout\(x, p\)` has `training=True` as its default/);
  assert.deepEqual(hover!.range, { start: code, end: { line: code.line, character: code.character + 5 } });

  // Another tool's code, and the comment's other words, get no hover.
  assert.equal(await client.hover(uri, positionOf(text, 'E501')), null);
  assert.equal(await client.hover(uri, positionOf(text, 'noqa')), null);
});

test('hover on a document the server does not know answers null', async () => {
  assert.equal(await client.hover(project.uri('never-opened.py'), { line: 0, character: 0 }), null);
});
