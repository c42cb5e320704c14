// One file of `reglens check`, as the main thread and the check workers (check-worker.ts) both run it: read it, check
// it (and fix it), and say what came of it as plain data, which a worker posts as it is. Also the workspace index the
// CLI resolves imported classes through, built the same way on every thread.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  checkDocument,
  readDocument,
  textHash,
  writeDocument,
  type CheckResult,
  type TextChange,
} from '../core/document';
import type { FoundFile } from '../core/files';
import type { RuleSelection } from '../engine/config';
import { ParseLimit, timedOutParseCount } from '../engine/parser';
import { importRoots, type IndexScope, isFolderLookup, WorkspaceIndex } from '../engine/workspace';
import { rules } from '../rules';
import { type ExcerptedFinding, withExcerpts } from './source-excerpt';

/** What checking one file came to; the report (server/cli/report.ts) counts it and prints its message. */
export type FileOutcome =
  | {
      kind: 'checked';
      findings: ExcerptedFinding[];
      /** Fixes applied (with `diff`: that would be), by rule code. */
      fixed: Record<string, number>;
      /** `# noqa` directives added. */
      directives: number;
      /** With `diff`: what the fixes would change. */
      changes?: TextChange[];
      /** What the findings were computed from, when they may be cached (check-cache.ts). */
      source?: CheckedSource;
    }
  /** Not checked, with the warning that says why (binary, too large, too deep to parse, not Python). */
  | { kind: 'skipped'; warning: string }
  /** Could not be read or checked; null: its error was already said (one line per bad pyproject.toml). */
  | { kind: 'failed'; error: string | null };

/** The text a check read and the modules it read of the workspace (each with the file that held it and its text). */
export interface CheckedSource {
  hash: string;
  dependencies: Dependency[];
}

/** A module the check consulted: the file that held it (null: none) and that file's text hash (null: unreadable). */
export type Dependency = [module: string, file: string | null, hash: string | null];

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
  /** The workspace seen from this file (`CheckWorkspace`), asked for only when the file may have findings. */
  workspace: CheckWorkspace;
  /** Say what the findings were computed from (`source`), for the cache. */
  recordSource?: boolean;
}

/** Reads, checks and (with `fix`) writes back one file. */
export async function checkFile(file: FoundFile, options: FileCheckOptions): Promise<FileOutcome> {
  const read = readDocument(file.absolute, file.display);
  if (!('document' in read)) return unreadOutcome(read);
  const { document } = read;
  let analysis: CheckResult;
  let scope: IndexScope | undefined;
  const timedOut = timedOutParseCount();
  try {
    if (TEST_HOOKS) await testHook(document.text);
    analysis = await checkDocument(document, {
      rules,
      selection: options.selection,
      fix: options.fix,
      unsafe: options.unsafe,
      addNoqa: options.addNoqa,
      workspace: async () => (scope = options.workspace.scopeFor(file.absolute)),
    });
  } catch (e) {
    return failedCheck(file.display, e);
  }
  const { changes } = analysis;
  const findings = options.excerpts ? withExcerpts(document, analysis) : analysis.findings;
  if (changes.length === 0) {
    const dependencies =
      options.recordSource && timedOutParseCount() === timedOut ? options.workspace.dependencies(scope) : null;
    const source = dependencies ? { hash: textHash(document.text), dependencies } : undefined;
    return { kind: 'checked', findings, fixed: {}, directives: 0, ...(source ? { source } : {}) };
  }
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

/** A file's text as the workspace index reads it (null: it cannot be read, or is not checked). */
export function indexedText(file: string): string | null {
  const read = readDocument(file, file);
  return 'document' in read ? read.document.text : null;
}

/**
 * An empty workspace index over these roots that reads files from disk as `reglens check` does; an imported
 * module that is not among the checked files is looked for on disk.
 */
export function cliIndex(roots: readonly string[], read = indexedText): WorkspaceIndex {
  return new WorkspaceIndex({ roots, findOnDisk: true, read });
}

/**
 * The workspace index one thread of `reglens check` resolves imported classes through, built when the first file
 * that may have findings needs it: it names every file found (naming reads no file: a lookup parses what it
 * reaches), and an imported module that is not among them is looked for on disk. It remembers the hash of every
 * text it read, which is what a file's cached findings depend on (`dependencies`).
 */
export class CheckWorkspace {
  private index: WorkspaceIndex | undefined;
  private readonly hashes = new Map<string, string | null>();

  constructor(
    private readonly roots: () => readonly string[],
    private readonly files: readonly string[],
  ) {}

  scopeFor(file: string): IndexScope {
    return this.build().scopeFor(file);
  }

  /** A file rewritten by --fix is read again before the next file is checked. */
  update(file: string): void {
    this.index?.update(file);
  }

  /**
   * What a check through `scope` read of the workspace (nothing when it needed no scope), or null when a text it
   * read was not kept.
   */
  dependencies(scope: IndexScope | undefined): Dependency[] | null {
    if (!scope || !this.index) return [];
    const out: Dependency[] = [];
    for (const { module, file } of this.index.dependencies(scope)) {
      if (file === null || isFolderLookup(module)) out.push([module, file, null]);
      else if (this.hashes.has(file)) out.push([module, file, this.hashes.get(file)!]);
      else return null;
    }
    return out;
  }

  /** What the index did (files scanned, summaries): `reglens check`'s trace and the benchmarks print it. */
  get stats(): WorkspaceIndex['stats'] {
    return this.index?.stats ?? { summaries: 0, summaryMs: 0, scanned: 0 };
  }

  /** The index, named files and all; made by the first check that needs it. */
  build(): WorkspaceIndex {
    if (this.index) return this.index;
    this.index = cliIndex(this.roots(), (file) => {
      const text = indexedText(file);
      this.hashes.set(file, text === null ? null : textHash(text));
      return text;
    });
    for (const file of this.files) this.index.addUnscanned(file);
    return this.index;
  }
}
