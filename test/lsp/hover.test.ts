import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { MarkupContent } from 'vscode-languageserver-protocol';
import { positionOf, TestClient, tempProject } from './client';
import { BLOCK } from './fixtures';
import { joined } from '../patterns';

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

test('a problem gets no hover of ours: its message and its code, linked to the rule page, say it all', async () => {
  const uri = project.uri('hover.py');
  client.open(uri, BLOCK);
  const diagnostics = await client.diagnostics(uri, 1);
  const rg006 = diagnostics.find((d) => d.code === 'RG006')!;
  // What VS Code's own hover shows for a problem (as Ruff's): the message and the code as a link to its page.
  assert.match(rg006.message, /F\.dropout/);
  assert.equal(rg006.codeDescription?.href, 'https://github.com/reglens/reglens/blob/main/docs/rules/RG006.md');
  // The rule page (summary, explanation) stays behind that link and the noqa hover: on the squiggle, nothing more.
  assert.equal(await client.hover(uri, positionOf(BLOCK, 'dropout(x, 0.1)')), null);
  assert.equal(await client.hover(uri, rg006.range.start), null);
  assert.equal(await client.hover(uri, positionOf(BLOCK, 'nn.Dropout(0.1)')), null);
  assert.equal(await client.hover(uri, positionOf(BLOCK, 'super()')), null);
});

test('hovering over a code in a noqa comment explains that rule', async () => {
  const text = BLOCK.replace('x = F.dropout(x, 0.1)', 'x = F.dropout(x, 0.1)  # noqa: E501, RG006');
  const uri = project.uri('noqa-hover.py');
  client.open(uri, text);
  const diagnostics = await client.diagnostics(uri, 1);
  assert.deepEqual(
    diagnostics.map((d) => d.code),
    ['RG007'],
    'the noqa comment silences RG006',
  );

  const code = positionOf(text, 'RG006');
  const hover = await client.hover(uri, { line: code.line, character: code.character + 2 });
  const value = markdown(hover);
  assert.match(value, /^\*\*RG006 regularizer-active-in-eval\*\*/);
  assert.match(value, /keeps dropping values after `model\.eval\(\)`/); // the summary
  assert.match(value, /`F\.dropout\(x, p\)` has `training=True` as its default/); // the explanation
  assert.ok(value.includes('(https://github.com/reglens/reglens/blob/main/docs/rules/RG006.md)'), value);
  assert.deepEqual(hover!.range, { start: code, end: { line: code.line, character: code.character + 5 } });

  // Another tool's code, and the comment's other words, get no hover.
  assert.equal(await client.hover(uri, positionOf(text, 'E501')), null);
  assert.equal(await client.hover(uri, positionOf(text, 'noqa')), null);
});

test('hover on a document the server does not know answers null', async () => {
  assert.equal(await client.hover(project.uri('never-opened.py'), { line: 0, character: 0 }), null);
});

const HAND_WRITTEN = `import torch
import torch.nn as nn


def drop_path(x, drop_prob: float = 0.1, training: bool = False):
    if drop_prob == 0.0 or not training:
        return x
    keep_prob = 1 - drop_prob
    mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep_prob)
    return x * mask


class MyDropout(nn.Module):
    def __init__(self, p=0.2):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) > self.p) / (1 - self.p)
`;

test('hovering the name of a hand-written regularizer shows its derived semantics in plain words', async () => {
  const uri = project.uri('hand-written.py');
  client.open(uri, HAND_WRITTEN);
  const diagnostics = await client.diagnostics(uri, 1);
  assert.deepEqual(
    diagnostics.map((d) => `${d.range.start.line} ${d.code}`),
    ['9 RG004'],
  );

  const at = positionOf(HAND_WRITTEN, 'drop_path(x');
  const hover = await client.hover(uri, { line: at.line, character: at.character + 3 });
  const text = markdown(hover);
  assert.match(text, /^\*\*`drop_path`: hand-written drop path \(stochastic depth\)\*\*/);
  assert.match(text, /one random decision per sample; a value is kept with probability `1 - drop_prob` \(0\.9\)/);
  assert.match(text, /Training: kept values are not rescaled/);
  assert.match(text, /Evaluation: returns the input unchanged/);
  assert.match(text, /E\[y\]\/E\[x\]: `1 - drop_prob` \(0\.9\) in training, `1` in evaluation — they differ/);
  assert.deepEqual(hover!.range, { start: at, end: { line: at.line, character: at.character + 'drop_path'.length } });

  const cls = markdown(await client.hover(uri, positionOf(HAND_WRITTEN, 'MyDropout')));
  assert.match(cls, /^\*\*`MyDropout`: hand-written dropout\*\*/);
  assert.match(cls, /one random decision per element/);
  assert.match(cls, /multiplied by `1 \/ \(1 - p\)` \(1\.25\)/);
  assert.match(cls, /E\[y\]\/E\[x\]: `1` in training, `1` in evaluation\./);

  // The body of the function, and a method that builds no mask, say nothing.
  assert.equal(await client.hover(uri, positionOf(HAND_WRITTEN, 'keep_prob = 1')), null);
  assert.equal(await client.hover(uri, positionOf(HAND_WRITTEN, '__init__')), null);

  // The hover reads the current text: an edit that adds the rescale changes what it says.
  const ret = positionOf(HAND_WRITTEN, 'return x * mask');
  const end = { line: ret.line, character: ret.character + 'return x * mask'.length };
  client.change(uri, 2, [{ range: { start: end, end }, text: ' / keep_prob' }]);
  assert.deepEqual(await client.diagnostics(uri, 2), []);
  const edited = markdown(await client.hover(uri, { line: at.line, character: at.character + 3 }));
  assert.match(
    edited,
    joined(
      /Training: kept values are multiplied by `1 \/ \(1 - drop_prob\)`|Training: kept values are multiplied by/,
      / `1 \/ keep_prob`|Training: kept values are (?!not)/,
    ),
  );
  assert.match(edited, /E\[y\]\/E\[x\]: `1` in training, `1` in evaluation\./);
});
