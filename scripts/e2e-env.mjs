// Where the end-to-end tests find code-server and Chromium; shared by scripts/setup-e2e.mjs, scripts/editor.mjs
// and test/e2e/. Plain JavaScript so the setup script runs before anything is built.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const e2eCache = path.join(root, '.cache', 'e2e');
export const codeServerBin = path.join(e2eCache, 'code-server', 'node_modules', '.bin', 'code-server');
export const chromiumPath = process.env.REGLENS_CHROMIUM ?? '/usr/bin/chromium';

/** What the e2e tests still need, in words; empty when they can run. */
export function missingPrerequisites() {
  const missing = [];
  if (!fs.existsSync(codeServerBin))
    missing.push(`code-server ${CODE_SERVER_VERSION} (not in ${path.relative(root, e2eCache)}/)`);
  else {
    const pkg = path.join(e2eCache, 'code-server', 'node_modules', 'code-server', 'package.json');
    const version = fs.existsSync(pkg) ? JSON.parse(fs.readFileSync(pkg, 'utf8')).version : 'unknown';
    if (version !== CODE_SERVER_VERSION) missing.push(`code-server ${CODE_SERVER_VERSION} (found ${version})`);
  }
  if (!fs.existsSync(chromiumPath)) missing.push(`Chromium (no ${chromiumPath})`);
  return missing;
}
