// The tree is formatted and linted (Biome, biome.json) and no line of code is over 120 characters. Lines inside a
// multi-line template literal are data (Python fixtures, help text): wrapping them would change the data.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

const root = path.join(__dirname, '..');
const MAX_LINE = 120;

test('biome ci: every file formatted, no lint error', () => {
  const biome = path.join(root, 'node_modules', '.bin', 'biome');
  const result = spawnSync(biome, ['ci', '--colors=off', '.'], { cwd: root, encoding: 'utf8' });
  assert.equal(
    result.status,
    0,
    `${result.stdout}\n${result.stderr}\nrun \`npm run format\` and fix what \`npm run lint\` reports`,
  );
});

/** For each line: does it start inside a template literal that began on an earlier line? */
function insideTemplate(lines: readonly string[]): boolean[] {
  const out: boolean[] = [];
  let inTemplate = false;
  for (const line of lines) {
    out.push(inTemplate);
    let quote: string | null = null;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (c === '\\') {
        i++;
        continue;
      }
      if (inTemplate) {
        if (c === '`') inTemplate = false;
        else if (c === '$' && line[i + 1] === '{') i = skipBraces(line, i + 2);
      } else if (quote) {
        if (c === quote) quote = null;
      } else if (c === '/' && line[i + 1] === '/') break;
      else if (c === "'" || c === '"') quote = c;
      else if (c === '`') inTemplate = true;
    }
  }
  return out;
}

function skipBraces(line: string, from: number): number {
  let depth = 1;
  let i = from;
  for (; i < line.length && depth > 0; i++) {
    if (line[i] === '{') depth++;
    else if (line[i] === '}') depth--;
  }
  return i - 1;
}

test(`no line of code over ${MAX_LINE} characters`, () => {
  const files = execFileSync(
    'git',
    ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.mjs', '*.cjs'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  )
    .split('\n')
    .filter((f) => f && !f.startsWith('test/rules/') && fs.existsSync(path.join(root, f)));
  assert.ok(files.length > 100, `expected the sources, found ${files.length} files`);
  const long: string[] = [];
  for (const file of files) {
    const lines = fs.readFileSync(path.join(root, file), 'utf8').split('\n');
    const data = insideTemplate(lines);
    lines.forEach((line, i) => {
      if (!data[i] && [...line].length > MAX_LINE) long.push(`${file}:${i + 1}: ${[...line].length} characters`);
    });
  }
  assert.deepEqual(long, []);
});
