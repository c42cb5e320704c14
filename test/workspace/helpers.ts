// Shared by the workspace tests: the fixtures under test/workspace/fixtures, copied to temp folders when a test
// edits, adds or deletes files.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const FIXTURES = path.join(__dirname, 'fixtures');

/** A fresh copy of a fixture folder, so tests may edit, add and delete files. */
export function copyFixture(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `reglens-ws-${name}-`));
  fs.cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

/** `# expect: RGxxx` lines of a fixture file, as "line:code" (1-based). */
export function expected(file: string): string[] {
  const out: string[] = [];
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      const m = /# expect: ([A-Z0-9, ]+)/.exec(line);
      if (m) for (const code of m[1].split(',')) out.push(`${i + 1}:${code.trim()}`);
    });
  return out;
}
