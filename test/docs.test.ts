import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { expectedDocs } from '../scripts/docs';
import { rules } from '../server/rules';

const docs = path.join(__dirname, '..', 'docs', 'rules');

test('docs/rules is generated from the current rule metadata (run `npm run docs`)', () => {
  for (const [name, text] of expectedDocs()) {
    const file = path.join(docs, name);
    assert.ok(fs.existsSync(file), `${name} is missing`);
    assert.equal(fs.readFileSync(file, 'utf8'), text, `docs/rules/${name} is stale`);
  }
});

test('every rule has complete metadata and the README links its page', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const codes = new Set<string>();
  for (const { meta } of rules) {
    assert.match(meta.code, /^RG\d{3}$/);
    assert.ok(!codes.has(meta.code), `duplicate ${meta.code}`);
    codes.add(meta.code);
    assert.match(meta.name, /^[a-z]+(-[a-z]+)*$/);
    for (const field of ['summary', 'explanation', 'wrong', 'right'] as const)
      assert.ok(meta[field].trim().length > 0, `${meta.code}.${field}`);
    assert.ok(Object.keys(meta.messages).length > 0);
    assert.ok(readme.includes(`docs/rules/${meta.code}.md`), `README must link docs/rules/${meta.code}.md`);
  }
});
