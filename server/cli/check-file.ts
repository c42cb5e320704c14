// One file of `reglens check`, as the main thread and the check workers (check-worker.ts) both run it: read it, check
// it (and fix it), and say what came of it as plain data, which a worker posts as it is. Also the workspace index the
// CLI resolves imported classes through, built the same way on every thread.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkDocument, readDocument, writeDocument, type CheckResult, type TextChange } from '../core/document';
import type { FoundFile } from '../core/files';
import type { RuleSelection } from '../engine/config';
import { ParseLimit } from '../engine/parser';
import type { WorkspaceScope } from '../engine/scope';
import { importRoots, WorkspaceIndex } from '../engine/workspace';
import { rules } from '../rules';
import { type ExcerptedFinding, withExcerpts } from './source-excerpt';

/** What checking one file came to; the report (server/cli/report.ts) counts it and prints its message. */
export type FileOutcome =
  | {
      kind: 'checked';
      findings: ExcerptedFinding[];
      /** Fixes applied (with `diff`: that would be). */
      fixed: number;
      /** `# noqa` directives added. */
      directives: number;
      /** With `diff`: what the fixes would change. */
      changes?: TextChange[];
    }
  /** Not checked, with the warning that says why (binary, too large, too deep to parse, not Python). */
  | { kind: 'skipped'; warning: string }
  /** Could not be read or checked; null: its error was already said (one line per bad pyproject.toml). */
  | { kind: 'failed'; error: string | null };

export interface FileCheckOptions {
  selection: RuleSelection;
  fix: boolean;
  unsafe: boolean;
  /** With `fix`: keep the file as it is and say what the fixes would change. */
  diff?: boolean;
  /** Add `# noqa` directives instead of fixing. */
  addNoqa?: boolean;
  /** Keep the code around each finding, for `--output-format full`. */
  excerpts?: boolean;
  /** The workspace seen from this file, asked for only when the file may have findings. */
  workspace: () => Promise<WorkspaceScope | null>;
}

/** Reads, checks and (with `fix`) writes back one file. */
export async function checkFile(file: FoundFile, options: FileCheckOptions): Promise<FileOutcome> {
  const read = readDocument(file.absolute, file.display);
  if (!('document' in read)) return unreadOutcome(read);
  const { document } = read;
  let analysis: CheckResult;
  try {
    if (TEST_HOOKS) await testHook(document.text);
    analysis = await checkDocument(document, {
      rules,
      selection: options.selection,
      fix: options.fix,
      unsafe: options.unsafe,
      addNoqa: options.addNoqa,
      workspace: options.workspace,
    });
  } catch (e) {
    return failedCheck(file.display, e);
  }
  const { changes } = analysis;
  const findings = options.excerpts ? withExcerpts(document, analysis) : analysis.findings;
  if (changes.length === 0) return { kind: 'checked', findings, fixed: 0, directives: 0 };
  if (options.diff) return { kind: 'checked', findings, fixed: analysis.applied, directives: 0, changes };
  const failed = writeDocument(file.absolute, file.display, document, analysis.text);
  if (failed) return { kind: 'failed', error: failed };
  return { kind: 'checked', findings, fixed: analysis.applied, directives: analysis.directives };
}

const TEST_HOOKS = process.env.REGLENS_TEST_HOOKS === '1';

/**
 * Tests only (REGLENS_TEST_HOOKS=1, which no user sets): a file that says `# reglens-test: throw` fails its check, as
 * an engine bug would; one that says `# reglens-test: crash` brings down the thread that checks it, as running out
 * of memory would (only ever a worker thread's, in the tests).
 */
async function testHook(text: string): Promise<void> {
  if (text.includes('# reglens-test: throw')) throw new Error('test hook: this check throws');
  if (text.includes('# reglens-test: crash'))
    await new Promise<never>(() =>
      setImmediate(() => {
        throw new Error('test hook: this thread crashes');
      }),
    );
}

/** A file that could not be read is an error; one that is not checked (binary, too large…) a warning. */
export function unreadOutcome(read: { error: string } | { skip: string }): FileOutcome {
  return 'error' in read ? { kind: 'failed', error: read.error } : { kind: 'skipped', warning: read.skip };
}

/** A check that threw: too deep or slow to parse is a file not checked, anything else a failure. */
export function failedCheck(display: string, e: unknown): FileOutcome {
  return e instanceof ParseLimit
    ? { kind: 'skipped', warning: `${display}: not checked: ${e.message}` }
    : { kind: 'failed', error: `${display}: internal error while checking: ${(e as Error).message}` };
}

/**
 * The folders module names are read from: the package roots of the current folder and the named paths (the first
 * folder at or above each without an `__init__.py`) and their `src/` folders.
 */
export function indexRoots(paths: readonly string[], cwd: string): string[] {
  const roots = new Set<string>();
  for (const given of ['.', ...paths]) {
    let dir = path.resolve(cwd, given);
    try {
      if (!fs.statSync(dir).isDirectory()) dir = path.dirname(dir);
    } catch {
      continue;
    }
    // Inside a package, modules are named from the folder that holds its top package.
    while (fs.existsSync(path.join(dir, '__init__.py')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    for (const root of importRoots(dir)) roots.add(root);
  }
  return [...roots];
}

/**
 * An empty workspace index over these roots that reads files from disk as `reglens check` does; an imported
 * module that is not among the checked files is looked for on disk.
 */
export function cliIndex(roots: readonly string[]): WorkspaceIndex {
  return new WorkspaceIndex({
    roots,
    findOnDisk: true,
    read: (file) => {
      const read = readDocument(file, file);
      return 'document' in read ? read.document.text : null;
    },
  });
}
