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

test(
  "the extension's own README (the Marketplace page) names every rule, setting and command, and its pictures " +
    'exist',
  () => {
    const dir = path.join(__dirname, '..', 'docs', 'extension');
    const page = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
      icon: string;
      contributes: { configuration: { properties: Record<string, unknown> }; commands: { title: string }[] };
    };
    for (const { meta } of rules)
      assert.match(page, new RegExp(`\\| ${meta.code} \\|`), `${meta.code} is in the table`);
    for (const setting of Object.keys(manifest.contributes.configuration.properties))
      assert.ok(page.includes(`\`${setting}\``), `the setting ${setting} is described`);
    for (const { title } of manifest.contributes.commands)
      assert.ok(page.includes(`**${title}**`), `"${title}" is named`);
    for (const [, image] of page.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g))
      assert.ok(fs.existsSync(path.join(dir, image)), `${image} exists`);
    assert.ok(fs.existsSync(path.join(__dirname, '..', manifest.icon)), 'the icon exists');
    assert.doesNotMatch(page, /npm ci|npm start|npm test/, 'it is written for users, not for developers of Reglens');
  },
);
