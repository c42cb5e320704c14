// Shared by the CLI tests: they run the real bundle (node bin/reglens.js, which loads dist/cli.js) in temp folders.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';

export const ROOT = path.resolve(__dirname, '..', '..');
export const BIN = path.join(ROOT, 'bin', 'reglens.js');

// The language-server tests' model: RG007 on line 8 col 9 (unsafe fix), RG006 on line 11 col 13 (safe fix adding
// `, training=self.training`), 1-based as the CLI prints them.
import { BLOCK } from '../lsp/fixtures';
export { BLOCK };

/** BLOCK after `--fix`: the safe RG006 fix applied, the unsafe RG007 fix not. */
export const BLOCK_SAFE_FIXED = BLOCK.replace('F.dropout(x, 0.1)', 'F.dropout(x, 0.1, training=self.training)');

/** BLOCK after `--fix --unsafe-fixes`: the unused `self.drop` line removed too. */
export const BLOCK_ALL_FIXED = BLOCK_SAFE_FIXED.replace('        self.drop = nn.Dropout(0.1)\n', '');

/** Mentions dropout (so it is parsed) and is clean. */
export const CLEAN = `import torch.nn as nn
import torch.nn.functional as F

class Head(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        return self.drop(self.fc(x))
`;

/** Only RG006 (safe fix): functional dropout without the training flag. */
export const ONLY_RG006 = `import torch.nn as nn
import torch.nn.functional as F

class Only(nn.Module):
    def forward(self, x):
        return F.dropout(x, 0.5)
`;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  options: { cwd: string; input?: string | Buffer; env?: NodeJS.ProcessEnv; bin?: string },
): CliResult {
  const env = { ...process.env, ...options.env };
  if (!options.env || !('NO_COLOR' in options.env)) delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  const r = spawnSync(process.execPath, [options.bin ?? BIN, ...args], {
    cwd: options.cwd,
    input: options.input ?? '',
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh temp folder with these files (paths with `/`; a Buffer is written as is); removed after the test file. */
export function makeTree(files: Record<string, string | Buffer>): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-cli-')));
  for (const [rel, content] of Object.entries(files)) {
    const full = path.join(dir, ...rel.split('/'));
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
  }
  created.push(dir);
  return dir;
}

const created: string[] = [];
after(() => {
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
});

export interface JsonDiagnostic {
  path: string;
  /** Notebooks only: index into the notebook's `cells` array. */
  cell?: number;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  code: string;
  name: string;
  severity: string;
  message: string;
  fix: {
    applicability: 'safe' | 'unsafe';
    edits: { line: number; column: number; endLine: number; endColumn: number; content: string }[];
  } | null;
}

export function parseJson(stdout: string): {
  version: number;
  diagnostics: JsonDiagnostic[];
  summary: { checked: number; skipped: number; failed: number };
} {
  return JSON.parse(stdout);
}

/** `path:line:col code` of each diagnostic, for compact comparisons. */
export function summary(stdout: string): string[] {
  return parseJson(stdout).diagnostics.map((d) => `${d.path}:${d.line}:${d.column} ${d.code}`);
}

export function read(dir: string, rel: string): string {
  return fs.readFileSync(path.join(dir, ...rel.split('/')), 'utf8');
}
