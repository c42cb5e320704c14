// `reglens check`'s cache, as Ruff's `.ruff_cache`: a file's findings are reused when nothing they were computed from
// has changed. That is its text, its settings (the rules on, their severities, --unsafe-fixes, the output's
// excerpts), the engine (the bundle that runs), the file's module name, and every module its analysis read of the
// workspace (server/engine/workspace.ts `dependencies`): each must be held by the same file with the same text, and
// one that no file held must still be missing. A run that changes files (--fix, --diff, --add-noqa) reuses only the
// findings of a file it would leave as it is and keeps those of a file it did not change; stdin never uses the cache.
// Concurrent runs (pre-commit starts several) each write the whole cache file by a rename, merged with what is there:
// a lost entry costs a check, never a wrong answer.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SKIPPED_FOLDERS } from '../core/files';
import type { RuleSelection } from '../engine/config';
import { findConfigFile } from '../engine/config-files';
import { isFolderLookup, type WorkspaceIndex } from '../engine/workspace';
import { textHash } from '../core/document';
import { type Dependency, type FileOutcome, indexedText } from './check-file';

/** Bumped when an entry's shape changes: a cache file of another format is not read. */
const FORMAT = 1;
const FILE = 'check.json';
export const DEFAULT_CACHE_DIR = '.reglens_cache';

type Checked = Extract<FileOutcome, { kind: 'checked' }>;

interface Entry {
  /** The file's text hash, and the settings and module name it was checked with. */
  hash: string;
  key: string;
  dependencies: Dependency[];
  outcome: Omit<Checked, 'source'>;
}

interface CacheFile {
  format: number;
  engine: string;
  files: Record<string, Entry>;
}

/**
 * The engine's identity: the hash of the bundle running (dist/cli.js holds every rule), so a rebuilt or upgraded
 * Reglens never reads another's findings. Null when not running from a bundle (the sources run by tsx, in
 * development), where there is nothing to hash: the cache is off then.
 */
export function engineFingerprint(): string | null {
  if (!__filename.endsWith('.js')) return null;
  try {
    return createHash('sha1').update(fs.readFileSync(__filename)).digest('base64');
  } catch {
    return null;
  }
}

/**
 * Where the cache lives: --cache-dir, else REGLENS_CACHE_DIR, else `.reglens_cache` in the folder of the nearest
 * configuration file (server/engine/config-files.ts) above the current folder (the current folder when there is
 * none).
 */
export function cacheDirectory(given: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  const chosen = given ?? (env.REGLENS_CACHE_DIR || undefined);
  if (chosen !== undefined) return path.resolve(cwd, chosen);
  const config = findConfigFile(cwd);
  return path.join(config ? path.dirname(config) : cwd, DEFAULT_CACHE_DIR);
}

/** --no-cache or REGLENS_NO_CACHE (1, true or yes). */
export function cacheTurnedOff(noCache: boolean, env: NodeJS.ProcessEnv): boolean {
  return noCache || /^(1|true|yes)$/i.test(env.REGLENS_NO_CACHE ?? '');
}

export class CheckCache {
  private readonly stored = new Map<string, Entry>();
  private readonly forgotten = new Set<string>();
  private readonly hashes = new Map<string, string | null>();
  private readonly claimants = new Map<string, string | null>();
  /** Files whose findings were reused: `reglens check`'s trace prints how many. */
  reused = 0;

  private constructor(
    readonly dir: string,
    private readonly engine: string,
    private readonly entries: Record<string, Entry>,
    /** Every file found, by name: what a module name resolves to now (nothing is read). */
    private readonly names: WorkspaceIndex,
    /** The options every file's key holds besides its settings. */
    private readonly options: { unsafe: boolean; excerpts: boolean },
  ) {}

  /** The cache in `dir`; empty when it is missing, unreadable, of another format or another engine. */
  static open(
    dir: string,
    engine: string,
    names: WorkspaceIndex,
    options: { unsafe: boolean; excerpts: boolean },
  ): CheckCache {
    return new CheckCache(dir, engine, readCacheFile(path.join(dir, FILE), engine)?.files ?? {}, names, options);
  }

  /**
   * The findings of the last check of the file, when nothing they were computed from has changed since and `usable`
   * takes them (a run that fixes files takes only those of a file it would leave as it is).
   */
  reuse(file: string, selection: RuleSelection, usable?: (outcome: FileOutcome) => boolean): FileOutcome | undefined {
    const entry = this.entries[file];
    // A hand-edited cache file may hold anything: an entry that is not one is a miss.
    if (
      !Array.isArray(entry?.dependencies) ||
      entry.outcome?.kind !== 'checked' ||
      !Array.isArray(entry.outcome.findings)
    )
      return undefined;
    if (entry.key !== this.keyOf(file, selection) || entry.hash !== this.hashOf(file)) return undefined;
    for (const [module, holder, hash] of entry.dependencies) {
      if (this.claimantOf(module) !== holder) return undefined;
      if (holder !== null && !isFolderLookup(module) && this.hashOf(holder) !== hash) return undefined;
    }
    if (usable && !usable(entry.outcome)) return undefined;
    this.reused++;
    return entry.outcome;
  }

  /** Keeps a check's outcome when it says what it was computed from; otherwise the file's old entry goes. */
  store(file: string, selection: RuleSelection, outcome: FileOutcome): void {
    if (outcome.kind !== 'checked' || !outcome.source) {
      this.forgotten.add(file);
      return;
    }
    const { source, ...kept } = outcome;
    const key = this.keyOf(file, selection);
    this.stored.set(file, { hash: source.hash, key, dependencies: source.dependencies, outcome: kept });
  }

  /** The file was written (fixed, or given `# noqa` directives): its text is read again when next compared. */
  changed(file: string): void {
    this.hashes.delete(file);
  }

  /**
   * Writes the entries of this run over what the cache file holds now (another run may have written it since it was
   * read), leaving out files that no longer exist. Returns why it could not be written, or null.
   */
  save(): string | null {
    if (this.stored.size === 0 && this.forgotten.size === 0) return null;
    const target = path.join(this.dir, FILE);
    const files = { ...(readCacheFile(target, this.engine)?.files ?? this.entries) };
    for (const file of this.forgotten) delete files[file];
    for (const [file, entry] of this.stored) files[file] = entry;
    for (const file of Object.keys(files)) if (!fs.existsSync(file)) delete files[file];
    const temporary = `${target}.${process.pid}.${Date.now()}.tmp`;
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      // As Ruff's cache: git and backup tools leave the folder alone.
      writeIfMissing(path.join(this.dir, '.gitignore'), '# Created by reglens: its check cache.\n*\n');
      writeIfMissing(
        path.join(this.dir, 'CACHEDIR.TAG'),
        'Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by reglens.\n',
      );
      const contents: CacheFile = { format: FORMAT, engine: this.engine, files };
      fs.writeFileSync(temporary, JSON.stringify(contents));
      fs.renameSync(temporary, target);
      return null;
    } catch (e) {
      try {
        fs.rmSync(temporary, { force: true });
      } catch {
        // Its folder could not be made: there is nothing to remove.
      }
      return (e as Error).message;
    }
  }

  private keyOf(file: string, selection: RuleSelection): string {
    const module = this.names.moduleOf(file)?.module ?? null;
    return JSON.stringify([selection.fingerprint(), this.options.unsafe, this.options.excerpts, module]);
  }

  /** The file holding a module now, looked for once per run (thousands of files consult `torch`). */
  private claimantOf(module: string): string | null {
    let holder = this.claimants.get(module);
    if (holder === undefined) {
      holder = this.names.claimant(module);
      this.claimants.set(module, holder);
    }
    return holder;
  }

  /** A file's text hash as the check and the index read it (null: unreadable), once per run. */
  private hashOf(file: string): string | null {
    let hash = this.hashes.get(file);
    if (hash === undefined) {
      const text = indexedText(file);
      hash = text === null ? null : textHash(text);
      this.hashes.set(file, hash);
    }
    return hash;
  }
}

function readCacheFile(file: string, engine: string): CacheFile | null {
  try {
    const read = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<CacheFile> | null;
    const usable = read?.format === FORMAT && read.engine === engine && typeof read.files === 'object' && read.files;
    return usable ? (read as CacheFile) : null;
  } catch {
    // Missing, unreadable or not JSON (a run killed mid-write cannot leave that, a hand edit can): start empty.
    return null;
  }
}

function writeIfMissing(file: string, text: string): void {
  if (!fs.existsSync(file)) fs.writeFileSync(file, text);
}

/**
 * `reglens clean`: removes the project's cache and, as `ruff clean`, every `.reglens_cache` under the current folder
 * (a subproject with a pyproject.toml of its own keeps its cache beside it); with --cache-dir or REGLENS_CACHE_DIR,
 * that folder alone. A folder is removed only when it holds a Reglens cache.
 */
export function removeCache(
  given: string | undefined,
  io: { cwd: string; env?: NodeJS.ProcessEnv; stdout(t: string): void; stderr(t: string): void },
): number {
  const env = io.env ?? process.env;
  const explicit = given ?? (env.REGLENS_CACHE_DIR || undefined);
  const project = cacheDirectory(given, env, io.cwd);
  const shown = (dir: string) => path.relative(io.cwd, dir) || '.';
  if (explicit !== undefined) {
    if (!fs.existsSync(project)) {
      io.stdout(`No cache to remove: ${shown(project)} does not exist.\n`);
      return 0;
    }
    if (!holdsCache(project)) {
      io.stderr(`error: ${shown(project)} does not hold a Reglens cache (no ${FILE}, no CACHEDIR.TAG); not removed\n`);
      return 2;
    }
  }
  const found = explicit !== undefined ? [project] : [project, ...cachesUnder(io.cwd)].filter(holdsCache);
  const targets = [...new Set(found)];
  if (targets.length === 0) {
    io.stdout(`No cache to remove: ${shown(project)} does not exist, nor does any ${DEFAULT_CACHE_DIR} below.\n`);
    return 0;
  }
  let status = 0;
  for (const dir of targets) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
      io.stdout(`Removed ${shown(dir)}.\n`);
    } catch (e) {
      io.stderr(`error: ${shown(dir)} could not be removed: ${(e as Error).message}\n`);
      status = 2;
    }
  }
  return status;
}

function holdsCache(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'CACHEDIR.TAG')) || fs.existsSync(path.join(dir, FILE));
}

/** Every `.reglens_cache` folder under `root`, past the folders a check skips (.git, node_modules, environments). */
function cachesUnder(root: string): string[] {
  const out: string[] = [];
  const stack = [root];
  for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const full = path.join(dir, entry.name);
      if (entry.name === DEFAULT_CACHE_DIR) out.push(full);
      else if (!SKIPPED_FOLDERS.has(entry.name)) stack.push(full);
    }
  }
  return out.sort();
}
