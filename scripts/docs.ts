// Writes docs/rules/*.md from the rules' metadata. `--check` exits 1 when a page is stale instead of writing.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderRuleDoc, renderRuleIndex } from '../server/engine/ruledoc';
import { rules } from '../server/rules';

export function expectedDocs(): Map<string, string> {
  const pages = new Map<string, string>();
  for (const rule of rules) pages.set(`${rule.meta.code}.md`, renderRuleDoc(rule.meta));
  pages.set('README.md', renderRuleIndex(rules.map((r) => r.meta)));
  return pages;
}

if (require.main === module) {
  const dir = path.join(__dirname, '..', 'docs', 'rules');
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of expectedDocs()) fs.writeFileSync(path.join(dir, name), text);
  console.log(`wrote ${expectedDocs().size} pages to docs/rules/`);
}
