import * as fs from 'node:fs';
import * as path from 'node:path';
import { nodeRange, ParseLimit, SourceFile, type Node } from './parser';
import { methodOf } from './flow/methods';
import type { InnerDrop, ModuleDescription, ModuleSummary, Rate } from './flow/types';
import { ImportTable } from './imports';
import { isLibraryName } from './library';
import { FileModel } from './model';
import type { ModuleClass } from './classes';
import { classRegularizer, describeRegularizerClass, type RegularizerClass } from './construction-sites';
import {
  externalParameters,
  type ExternalDefinition,
  type ExternalDropout,
  type ExternalMember,
  type WorkspaceScope,
} from './scope';
import { modelUses } from './script-functions';
import { evaluationDropout, type ModelDropout } from './script-models';
import { kwargsParameter, parameterList } from './syntax';

/**
 * The workspace index: every Python file of the workspace folders by module name, with what resolving imports
 * across files needs — its import table (relative imports made absolute), its star imports and the names it
 * defines — and, computed on first use, the summaries of its module classes and module factories
 * (`ExternalDefinition`). No trees are kept: a file is parsed to index it and parsed again when a summary of it
 * is first asked for, and both results hold only names and plain data.
 *
 * Invariant: a file's summaries are dropped whenever a module it consulted while computing them changes (or
 * appears, or goes), so a summary never outlives what it was computed from.
 *
 * Invariant: a summary is the same whichever file asked for it first, so that `reglens check` reports the same
 * findings whichever worker thread checks a file, and in whatever order (see `definitionsOf`).
 */

/** What scanning one file gives the index. */
interface IndexEntry {
  path: string;
  module: string;
  isPackage: boolean;
  /** Module-level name → absolute qualified name it is bound to by an import. */
  imports: Map<string, string>;
  /** Absolute modules of `from m import *`. */
  stars: string[];
  /** Classes and functions defined at module level. */
  defined: Set<string>;
}

/** What the index keeps of one file. */
interface IndexedFile extends IndexEntry {
  /** Added by `addUnscanned`: its imports and names are read when a lookup first reaches it. */
  unscanned?: boolean;
  /** Summaries, computed on first use; undefined until then. */
  definitions?: Map<string, ExternalDefinition>;
  /** Modules consulted while computing `definitions` (those that do not exist included: they may appear). */
  consulted?: Set<string>;
  /** Modules consulted by summaries of it that were not kept (computed inside an import cycle): `dependencies`. */
  provisionalConsulted?: Set<string>;
  /**
   * Its module classes as regularizers the profiler measures at their constructions, by name (null: not one), read
   * when first asked for. They come from the file's own text alone, and go with the entry when the file changes.
   */
  regularizers?: Map<string, RegularizerClass | null>;
}

export interface WorkspaceIndexOptions {
  /**
   * Folders module names are relative to: each workspace folder, and its `src/` when there is one. A file
   * belongs to the deepest root that contains it.
   */
  roots: readonly string[];
  /** The current text of a file (an open editor's or the disk's), or null when it cannot be read. */
  read(file: string): string | null;
  /**
   * Modules that were not added are looked for under the roots (`root/a/b.py`, `root/a/b/__init__.py`) and
   * added when found: `reglens check FILE…` resolves into the files beside the ones it checks.
   */
  findOnDisk?: boolean;
}

const MAX_REEXPORT_DEPTH = 12;

/** The files that hold module `base` as Python finds them: `base.py`, then the package `base/__init__.py`. */
const moduleFiles = (base: string): string[] => [`${base}.py`, path.join(base, '__init__.py')];

/** A `dependencies` entry that is a file a folder lookup looked for (`path:/abs/file.py`), not a module name. */
const FOLDER_LOOKUP = 'path:';

/** Is a `dependencies` entry a file a folder lookup looked for? It counts by its existence: its text, by its module. */
export function isFolderLookup(dependency: string): boolean {
  return dependency.startsWith(FOLDER_LOOKUP);
}

export class WorkspaceIndex {
  private readonly files = new Map<string, IndexedFile>();
  private readonly modules = new Map<string, IndexedFile>();
  private roots: string[];
  /**
   * The files whose summaries are kept, which `invalidate` looks through: an index of thousands of files, each
   * added by name, has summaries of a few.
   */
  private readonly summarized = new Set<IndexedFile>();
  /** The files whose summaries are being computed. */
  private readonly computing = new Set<string>();
  /** What each computation in progress read, innermost last: see `definitionsOf`. */
  private readonly frames: SummaryFrame[] = [];
  /** Summaries computed inside a cycle, each valid only while the same files are in progress. */
  private readonly provisional = new Map<string, ProvisionalSummary[]>();
  /**
   * Files summarized so far (recomputations included) and the milliseconds it took: what `reglens check`'s trace
   * (REGLENS_TRACE_CHECK) and the benchmarks report.
   */
  readonly stats = { summaries: 0, summaryMs: 0, scanned: 0 };

  constructor(private readonly options: WorkspaceIndexOptions) {
    this.roots = sortRoots(options.roots);
  }

  get size(): number {
    return this.files.size;
  }

  has(file: string): boolean {
    return this.files.has(path.resolve(file));
  }

  paths(): string[] {
    return [...this.files.keys()];
  }

  setRoots(roots: readonly string[]): void {
    this.roots = sortRoots(roots);
  }

  /** The module name of a file under one of the roots (`mypkg.layers`, `mypkg` for its `__init__.py`), or null. */
  moduleOf(file: string): { module: string; isPackage: boolean } | null {
    const absolute = path.resolve(file);
    for (const root of this.roots) {
      const rel = path.relative(root, absolute);
      if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) continue;
      const parts = rel.split(path.sep);
      const last = parts.pop()!;
      if (!last.endsWith('.py')) return null;
      const stem = last.slice(0, -3);
      const isPackage = stem === '__init__';
      if (!isPackage) parts.push(stem);
      if (parts.length === 0 || !parts.every((p) => /^[A-Za-z_][\w]*$/.test(p))) return null;
      return { module: parts.join('.'), isPackage };
    }
    return null;
  }

  /**
   * Adds or replaces a file, read with `options.read` (which the summaries read again later, so the two agree).
   * Returns the modules whose summaries were dropped because of it: open files that consulted one of them must
   * be analysed again.
   */
  update(file: string): Set<string> {
    const absolute = path.resolve(file);
    const entry = this.entryFor(absolute);
    if (entry) return this.add(entry);
    return this.files.has(absolute) ? this.remove(absolute) : new Set();
  }

  /**
   * A file's module, imports and defined names (the file is parsed when it may define module classes); null when it
   * is outside the roots or cannot be read.
   */
  private entryFor(file: string): IndexEntry | null {
    const absolute = path.resolve(file);
    const where = this.moduleOf(absolute);
    if (!where) return null;
    const source = this.options.read(absolute);
    if (source === null) return null;
    return mayDefineModules(source, where.isPackage)
      ? scan(absolute, where.module, where.isPackage, source)
      : emptyEntry(absolute, where.module, where.isPackage);
  }

  /** Adds or replaces the entry of a file; returns the modules whose summaries were dropped. */
  private add(entry: IndexedFile): Set<string> {
    const added: IndexedFile = { ...entry };
    const old = this.files.get(added.path);
    if (old) this.forget(old);
    else this.countFolders(added.path, 1);
    this.files.set(added.path, added);
    // Two files may claim a module (`a.py` and `a/__init__.py`): Python takes the package.
    const claimed = this.modules.get(added.module);
    if (!claimed || claimed === old || added.isPackage || !claimed.isPackage) this.modules.set(added.module, added);
    return this.invalidate(added.module);
  }

  /**
   * Adds a file by its module name only; it is read and scanned when a lookup first reaches it. `reglens check`
   * indexes every file it finds this way: its lookups reach a few of them (51 of 821 in ../shared/corpus), and the
   * others are parsed once, to be checked, rather than twice.
   */
  addUnscanned(file: string): void {
    const absolute = path.resolve(file);
    const where = this.moduleOf(absolute);
    if (!where) return;
    this.add({ ...emptyEntry(absolute, where.module, where.isPackage), unscanned: true });
  }

  /**
   * Reads an unscanned file's imports and names into its entry. False when it cannot be read (or is no longer
   * under the roots): it is removed, as `update` would not have added it, and another claimant of its module
   * takes the module back.
   */
  private scanned(entry: IndexedFile): boolean {
    if (!entry.unscanned) return true;
    this.stats.scanned++;
    const read = this.entryFor(entry.path);
    if (!read) {
      this.remove(entry.path);
      return false;
    }
    Object.assign(entry, read, { unscanned: false });
    return true;
  }

  /** Removes a file; returns the modules whose summaries were dropped. */
  remove(file: string): Set<string> {
    const absolute = path.resolve(file);
    const old = this.files.get(absolute);
    if (!old) return new Set();
    this.forget(old);
    this.files.delete(absolute);
    this.countFolders(absolute, -1);
    return this.invalidate(old.module);
  }

  /** How many indexed files each folder holds at any depth: whether a folder is a package, namespace ones included. */
  private readonly folders = new Map<string, number>();

  private countFolders(file: string, delta: 1 | -1): void {
    for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
      const count = (this.folders.get(dir) ?? 0) + delta;
      if (count > 0) this.folders.set(dir, count);
      else this.folders.delete(dir);
      if (path.dirname(dir) === dir) return;
    }
  }

  /** A folder holding an indexed file, or, with `findOnDisk`, any folder on disk. */
  folderExists(folder: string): boolean {
    return this.folders.has(folder) || (!!this.options.findOnDisk && fs.existsSync(folder));
  }

  /** Removes every file under a folder (a deleted folder sends one event for itself). */
  removeUnder(folder: string): Set<string> {
    const prefix = path.resolve(folder) + path.sep;
    const dropped = new Set<string>();
    for (const file of [...this.files.keys()])
      if (file.startsWith(prefix)) for (const m of this.remove(file)) dropped.add(m);
    return dropped;
  }

  /** The resolution view for one file: its relative imports are read against its own module. */
  scopeFor(file: string | null): IndexScope {
    const where = file ? this.moduleOf(file) : null;
    return new IndexScope(this, where?.module ?? null, where?.isPackage ?? false, file);
  }

  /**
   * A relative import read by folder, as Python reads it in a namespace package (a folder without `__init__.py`,
   * which the roots' module names may not reach: `reglens profile dinov2/layers/block.py`): `.drop_path.DropPath`
   * in `dinov2/layers/block.py` is `DropPath` of `dinov2/layers/drop_path.py`, under whatever name that file has
   * here. Null when no such file is indexed (or, with `findOnDisk`, on disk).
   */
  byFolder(file: string, imported: string, probed?: Map<string, boolean>): string | null {
    const dots = /^\.*/.exec(imported)![0].length;
    if (dots === 0) return null;
    let dir = path.dirname(path.resolve(file));
    for (let i = 1; i < dots; i++) dir = path.dirname(dir);
    const names = imported
      .slice(dots)
      .split('.')
      .filter((n) => n !== '');
    for (let i = names.length; i >= 1; i--) {
      const base = path.join(dir, ...names.slice(0, i));
      for (const candidate of moduleFiles(base)) {
        const exists = this.fileExists(candidate);
        probed?.set(candidate, exists);
        if (!exists) continue;
        if (!this.files.has(candidate)) this.update(candidate);
        const where = this.moduleOf(candidate);
        if (where) return [where.module, ...names.slice(i)].join('.');
      }
    }
    return null;
  }

  /** A file the index names, or, with `findOnDisk`, one on disk: what `byFolder` finds, and its cache checks again. */
  private fileExists(file: string): boolean {
    return this.files.has(file) || (!!this.options.findOnDisk && fs.existsSync(file));
  }

  /**
   * The module class an absolute qualified name refers to, as a regularizer the profiler measures where another
   * file constructs it (construction-sites.ts), or null when it is none.
   */
  regularizerClass(qualified: string, consulted: Set<string>): RegularizerClass | null {
    const found = this.resolve(qualified, consulted);
    const entry = found?.kind === 'class' && found.isModule ? this.files.get(found.file) : undefined;
    if (!found || !entry) return null;
    entry.regularizers ??= new Map();
    if (!entry.regularizers.has(found.name))
      entry.regularizers.set(found.name, describeClass(this.options.read(entry.path) ?? '', found.name));
    return entry.regularizers.get(found.name) ?? null;
  }

  /** The definition an absolute qualified name (`mypkg.layers.Attention`) refers to, through re-exports. */
  resolve(qualified: string, consulted: Set<string>, depth = 0): ExternalDefinition | null {
    if (depth > MAX_REEXPORT_DEPTH) return null;
    const parts = qualified.split('.');
    for (let i = parts.length - 1; i >= 1; i--) {
      const entry = this.entryOf(parts.slice(0, i).join('.'), consulted);
      if (entry) return this.lookup(entry, parts.slice(i), consulted, depth);
    }
    return null;
  }

  /**
   * The summaries of the module an absolute name names, when a file of the index holds it: what a file that imports
   * it whole (`import engine`, then `engine.evaluate(model)`) may read of it.
   */
  moduleDefinitions(module: string, consulted: Set<string>): Map<string, ExternalDefinition> | null {
    const entry = this.entryOf(module, consulted);
    return entry ? this.definitionsOf(entry) : null;
  }

  /** The scanned file that holds a module (found on disk, with `findOnDisk`), recording that it was consulted. */
  private entryOf(module: string, consulted: Set<string>): IndexedFile | undefined {
    consulted.add(module);
    let entry = this.modules.get(module) ?? this.fromDisk(module);
    while (entry && !this.scanned(entry)) entry = this.modules.get(module);
    return entry;
  }

  private lookup(entry: IndexedFile, rest: string[], consulted: Set<string>, depth: number): ExternalDefinition | null {
    const name = rest[0];
    if (rest.length === 1 && entry.defined.has(name)) return this.definitionsOf(entry).get(name) ?? null;
    const target = entry.imports.get(name);
    if (target !== undefined) return this.resolve([target, ...rest.slice(1)].join('.'), consulted, depth + 1);
    for (const star of entry.stars) {
      const found = this.resolve(`${star}.${rest.join('.')}`, consulted, depth + 1);
      if (found) return found;
    }
    return null;
  }

  private readonly notOnDisk = new Set<string>();

  private fromDisk(module: string): IndexedFile | undefined {
    if (!this.options.findOnDisk || this.notOnDisk.has(module)) return undefined;
    this.notOnDisk.add(module);
    for (const candidate of this.onDisk(module)) {
      this.update(candidate);
      const entry = this.modules.get(module);
      if (entry) return entry;
    }
    return undefined;
  }

  /** The files under the roots that may hold a module, in the order a lookup tries them, those on disk only. */
  private *onDisk(module: string): Generator<string> {
    const rel = module.split('.');
    for (const root of this.roots)
      for (const candidate of moduleFiles(path.join(root, ...rel))) if (fs.existsSync(candidate)) yield candidate;
  }

  /**
   * A file's summaries. A file whose classes, through other files, use its own is summarized without itself
   * (unknown), never forever. What the files of such a cycle know of each other would then depend on which of them
   * was asked for first, had every result been kept; so a result is kept on its file only when no computation
   * still in progress outside it was read, and it is then the same wherever the request started. One that read
   * such a computation is kept aside, provisional, and reused only where the same files are in progress, which
   * gives the same result again; the provisional results go when the outermost computation ends.
   */
  private definitionsOf(entry: IndexedFile): Map<string, ExternalDefinition> {
    if (entry.definitions) return entry.definitions;
    const frame = this.frames[this.frames.length - 1];
    if (this.computing.has(entry.path)) {
      frame?.inProgress.add(entry.path);
      return new Map();
    }
    const reused = this.provisional.get(entry.path)?.find((p) => this.stillValid(p));
    if (reused) {
      for (const file of reused.inProgress) frame?.inProgress.add(file);
      for (const file of reused.computed) frame?.computed.add(file);
      return reused.definitions;
    }
    const own: SummaryFrame = { inProgress: new Set(), computed: new Set([entry.path]) };
    this.computing.add(entry.path);
    this.frames.push(own);
    // With its file: a summary resolves its file's neighbours as an analysis of the file does (`located`).
    const scope = new IndexScope(this, entry.module, entry.isPackage, entry.path);
    let definitions: Map<string, ExternalDefinition>;
    const started = performance.now();
    this.stats.summaries++;
    try {
      definitions = summarize(entry.path, this.options.read(entry.path) ?? '', scope);
    } finally {
      this.frames.pop();
      this.computing.delete(entry.path);
      if (this.frames.length === 0) {
        this.provisional.clear();
        this.stats.summaryMs += performance.now() - started;
      }
    }
    // Files read in progress that are still in progress began before this computation: it depends on them.
    const outside = [...own.inProgress].filter((file) => this.computing.has(file));
    if (frame) {
      for (const file of outside) frame.inProgress.add(file);
      for (const file of own.computed) frame.computed.add(file);
    }
    if (outside.length > 0) {
      const kept: ProvisionalSummary = { definitions, inProgress: new Set(outside), computed: own.computed };
      this.provisional.set(entry.path, [...(this.provisional.get(entry.path) ?? []), kept]);
      entry.provisionalConsulted = new Set([...(entry.provisionalConsulted ?? []), ...scope.consulted]);
      return definitions;
    }
    entry.definitions = definitions;
    entry.consulted = scope.consulted;
    entry.consulted.add(entry.module);
    this.summarized.add(entry);
    return entry.definitions;
  }

  /**
   * What an analysis through `scope` read of the workspace: every module it consulted, directly or through the
   * summaries it used (transitively), with the file that holds the module (null: none does, and one may appear).
   * `reglens check`'s cache reuses a file's findings only while each module is held by the same file with the same
   * text. A relative import resolved by folder (`byFolder`) adds each file it looked for, as `path:` and the file
   * when it existed: which of them exist decides what the import names.
   */
  dependencies(scope: IndexScope): { module: string; file: string | null }[] {
    const probed = [...scope.probed].map(([file, exists]) => ({
      module: `${FOLDER_LOOKUP}${file}`,
      file: exists ? file : null,
    }));
    const seen = new Set<string>();
    const queue = [...scope.consulted];
    for (let module = queue.pop(); module !== undefined; module = queue.pop()) {
      if (seen.has(module)) continue;
      seen.add(module);
      const entry = this.modules.get(module);
      if (entry?.consulted) queue.push(...entry.consulted);
      if (entry?.provisionalConsulted) queue.push(...entry.provisionalConsulted);
    }
    const modules = [...seen].sort().map((module) => ({ module, file: this.modules.get(module)?.path ?? null }));
    return [...modules, ...probed];
  }

  /**
   * The file that would hold a module now, found by name as a lookup finds it (a file added by name, else, with
   * `findOnDisk`, one under the roots), reading nothing: what `dependencies` recorded, checked again.
   */
  claimant(module: string): string | null {
    if (isFolderLookup(module)) {
      const file = module.slice(FOLDER_LOOKUP.length);
      return this.fileExists(file) ? file : null;
    }
    const entry = this.modules.get(module);
    if (entry) return entry.path;
    if (!this.options.findOnDisk) return null;
    for (const candidate of this.onDisk(module)) if (this.moduleOf(candidate)?.module === module) return candidate;
    return null;
  }

  /**
   * A provisional result holds where the computation would run the same way again: the files it found in progress
   * are in progress, and none it computed is.
   */
  private stillValid(p: ProvisionalSummary): boolean {
    for (const file of p.inProgress) if (!this.computing.has(file)) return false;
    for (const file of p.computed) if (this.computing.has(file)) return false;
    return true;
  }

  /** An entry leaving the index (removed, or replaced by a new one): its module and its summaries go with it. */
  private forget(entry: IndexedFile): void {
    this.summarized.delete(entry);
    if (this.modules.get(entry.module) !== entry) return;
    this.modules.delete(entry.module);
    // The other claimant of the module, if any, takes it back.
    for (const other of this.files.values())
      if (other !== entry && other.module === entry.module) this.modules.set(other.module, other);
  }

  /** Drops the summaries that consulted the module, and those that consulted theirs, transitively. */
  private invalidate(module: string): Set<string> {
    const dropped = new Set<string>([module]);
    const queue = [module];
    while (queue.length) {
      const changed = queue.pop()!;
      for (const entry of this.summarized) {
        if (!entry.consulted?.has(changed)) continue;
        entry.definitions = undefined;
        entry.consulted = undefined;
        this.summarized.delete(entry);
        if (!dropped.has(entry.module)) {
          dropped.add(entry.module);
          queue.push(entry.module);
        }
      }
    }
    return dropped;
  }
}

/** What one summary computation read: files found in progress (summarized as unknown) and files it computed. */
interface SummaryFrame {
  inProgress: Set<string>;
  computed: Set<string>;
}

/** A summary that read a computation in progress outside it, with what it read (`definitionsOf`). */
interface ProvisionalSummary extends SummaryFrame {
  definitions: Map<string, ExternalDefinition>;
}

/** One file's view of the index (server/engine/scope.ts `WorkspaceScope`), recording every module it consults. */
export class IndexScope implements WorkspaceScope {
  readonly consulted = new Set<string>();
  /** The files a relative import resolved by folder looked for (`byFolder`), and whether each existed. */
  readonly probed = new Map<string, boolean>();
  private readonly cache = new Map<string, ExternalDefinition | null>();

  constructor(
    private readonly index: WorkspaceIndex,
    /** The file's own module, for relative imports; null outside the roots. */
    readonly module: string | null,
    readonly isPackage: boolean,
    /** The file itself, for the relative imports its module name cannot reach (`WorkspaceIndex.byFolder`). */
    private readonly file: string | null = null,
  ) {}

  definition(importedName: string): ExternalDefinition | null {
    let found = this.cache.get(importedName);
    if (found === undefined) {
      found = this.located(importedName, (absolute) => this.index.resolve(absolute, this.consulted));
      this.cache.set(importedName, found);
    }
    return found;
  }

  /**
   * What `find` gives for the absolute name of an imported one; failing that, for the module beside the file: a
   * script's folder comes first on Python's path (`from model import Net` beside `train.py` in `examples/mnist/`),
   * as Pyright resolves it. Library names are never looked for beside it.
   */
  private located<T>(importedName: string, find: (absolute: string) => T | null): T | null {
    const absolute = this.absolute(importedName);
    const found = absolute === null ? null : find(absolute);
    if (found !== null || this.file === null || importedName.startsWith('.') || isLibraryName(importedName))
      return found;
    // Most bare imports name a library or the standard library: its first name is looked for beside the file alone
    // (`abc.py`, `abc/__init__.py`), and the whole name only where that module or a folder of that name is there.
    const first = importedName.split('.')[0];
    const module = this.byFolder(`.${first}`);
    if (module === null && !this.index.folderExists(path.join(path.dirname(path.resolve(this.file)), first)))
      return null;
    const beside = first === importedName ? module : this.byFolder(`.${importedName}`);
    return beside === null || beside === absolute ? null : find(beside);
  }

  /** `WorkspaceIndex.regularizerClass` of an imported name (`.drop_path.DropPath`). */
  regularizerClass(importedName: string): RegularizerClass | null {
    return this.located(importedName, (absolute) => this.index.regularizerClass(absolute, this.consulted));
  }

  private absolute(importedName: string): string | null {
    const absolute = absoluteName(importedName, this.module, this.isPackage);
    if (absolute !== null || this.file === null) return absolute;
    return this.byFolder(importedName);
  }

  /**
   * `WorkspaceIndex.byFolder` from this file, recording each file it looked for: in `probed` (by path, for the CLI's
   * cache) and, when a root names it, in `consulted` (by module): the module appearing or changing then drops the
   * summaries and re-checks the files that looked for it.
   */
  private byFolder(imported: string): string | null {
    const probes = new Map<string, boolean>();
    const found = this.index.byFolder(this.file!, imported, probes);
    for (const [file, exists] of probes) {
      this.probed.set(file, exists);
      const module = this.index.moduleOf(file)?.module;
      if (module) this.consulted.add(module);
    }
    return found;
  }

  signature(imports: ImportTable): string {
    const parts: string[] = [];
    for (const [local, qualified] of imports.importedNames()) {
      const found = this.definition(qualified);
      if (found) {
        parts.push(`${local}=${fingerprint(found)}`);
        continue;
      }
      // A module imported whole: the file may read any of its definitions through `local.name`.
      const all = this.located(qualified, (absolute) => this.index.moduleDefinitions(absolute, this.consulted));
      if (all?.size) parts.push(`${local}=*${Array.from(all.values(), fingerprint).join(',')}`);
    }
    return parts.join(';');
  }
}

const fingerprints = new WeakMap<ExternalDefinition, string>();

function fingerprint(d: ExternalDefinition): string {
  let f = fingerprints.get(d);
  if (f === undefined) {
    f = JSON.stringify(d);
    fingerprints.set(d, f);
  }
  return f;
}

/**
 * `.layers.Attention` in module `mypkg.blocks` → `mypkg.layers.Attention`; `..x` one package up. Absolute names
 * are returned as they are; null when the dots climb above the top package.
 */
export function absoluteName(imported: string, module: string | null, isPackage: boolean): string | null {
  const dots = /^\.*/.exec(imported)![0].length;
  if (dots === 0) return imported;
  if (module === null) return null;
  const packageParts = module.split('.');
  if (!isPackage) packageParts.pop();
  const keep = packageParts.length - (dots - 1);
  if (keep <= 0) return null;
  const rest = imported.slice(dots);
  return [...packageParts.slice(0, keep), ...(rest ? [rest] : [])].join('.');
}

/** The import roots of a workspace folder: the folder, and its `src/` (the src layout) when there is one. */
export function importRoots(folder: string): string[] {
  const src = path.join(folder, 'src');
  try {
    if (fs.statSync(src).isDirectory()) return [folder, src];
  } catch {
    // No src/ folder.
  }
  return [folder];
}

function sortRoots(roots: readonly string[]): string[] {
  return [...new Set(roots.map((r) => path.resolve(r)))].sort((a, b) => b.length - a.length);
}

/**
 * A file that mentions no library, is not a package's `__init__.py` and has no relative import can neither
 * define a module class nor re-export one the way packages do: it is known by name only, and not parsed.
 */
function mayDefineModules(text: string, isPackage: boolean): boolean {
  return isPackage || /torch|timm|lightning/.test(text) || /^[ \t]*from[ \t]+\./m.test(text);
}

function emptyEntry(file: string, module: string, isPackage: boolean): IndexEntry {
  return { path: file, module, isPackage, imports: new Map(), stars: [], defined: new Set() };
}

/** Parses a file for its imports and the names it defines; the tree is freed before returning. */
function scan(file: string, module: string, isPackage: boolean, text: string): IndexEntry {
  let source: SourceFile | undefined;
  try {
    // Only the parse and the copy throw ParseLimit.
    source = new SourceFile(text);
    const root = source.topLevel();
    const table = ImportTable.fromModule(root);
    const imports = new Map<string, string>();
    for (const [local, qualified] of table.importedNames()) {
      const absolute = absoluteName(qualified, module, isPackage);
      if (absolute !== null) imports.set(local, absolute);
    }
    const stars = table
      .starImports()
      .map((m) => absoluteName(m, module, isPackage))
      .filter((m): m is string => m !== null);
    const defined = new Set<string>();
    for (const stmt of root.namedChildren) {
      const def = stmt?.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
      if (def?.type !== 'class_definition' && def?.type !== 'function_definition') continue;
      const name = def.childForFieldName('name')?.text;
      if (name) {
        defined.add(name);
        // A name defined after it was imported is the file's own.
        imports.delete(name);
      }
    }
    return { path: file, module, isPackage, imports, stars, defined };
  } catch (e) {
    // A file too deep or too slow to parse is known by name only; it must not take the index down with it.
    if (e instanceof ParseLimit) return emptyEntry(file, module, isPackage);
    throw e;
  } finally {
    source?.dispose();
  }
}

/** A class of a file's text as a regularizer (construction-sites.ts); the tree is freed before returning. */
function describeClass(text: string, name: string): RegularizerClass | null {
  let source: SourceFile | undefined;
  try {
    source = new SourceFile(text);
    const model = new FileModel(source);
    const cls = model.classes.get(name);
    return cls ? describeRegularizerClass(model, cls) : null;
  } catch (e) {
    // A file too deep or too slow to parse has no class the profiler can read.
    if (e instanceof ParseLimit) return null;
    throw e;
  } finally {
    source?.dispose();
  }
}

/**
 * The summaries of a file's module classes and module factories, with every tree node replaced by its place
 * (file and range), so nothing of the tree outlives this call.
 */
function summarize(file: string, text: string, scope: IndexScope): Map<string, ExternalDefinition> {
  const out = new Map<string, ExternalDefinition>();
  let source: SourceFile | undefined;
  try {
    // Only the parse and the copy (which the model makes first) throw ParseLimit.
    source = new SourceFile(text);
    const model = new FileModel(source, scope);
    for (const cls of model.classes.values()) {
      const init = cls.isModule ? methodOf(model, cls, '__init__') : undefined;
      const initParameters = init ? externalParameters(parameterList(init).slice(1)) : [];
      const summary = cls.isModule ? detachSummary(model.forward.summary(cls), file) : undefined;
      const initKwargs = init ? kwargsParameter(init) !== null : undefined;
      const members = cls.isModule ? externalMembers(model, cls, file) : undefined;
      const regularizer = cls.isModule ? describeRegularizerClass(model, cls) : null;
      const dropout = cls.isModule ? detachDropout(evaluationDropout(model, cls), file) : undefined;
      out.set(cls.name, {
        kind: 'class',
        name: cls.name,
        file,
        isModule: cls.isModule,
        summary,
        initParameters,
        initKwargs,
        ...(members ? { members } : {}),
        ...(regularizer ? { regularizer: classRegularizer(regularizer) } : {}),
        ...(dropout ? { dropout } : {}),
      });
    }
    for (const fn of model.functions.values()) {
      const made = model.forward.factoryDescription(fn.name, fn.node);
      if (!made || (made.output === 'unknown' && !made.role)) {
        const models = modelUses(model, fn.node);
        if (Object.keys(models).length > 0)
          out.set(fn.name, {
            kind: 'script-function',
            name: fn.name,
            file,
            parameters: externalParameters(parameterList(fn.node)),
            models,
          });
        continue;
      }
      out.set(fn.name, {
        kind: 'function',
        name: fn.name,
        file,
        description: detachDescription(made, file),
        parameters: externalParameters(parameterList(fn.node)),
      });
    }
  } catch (e) {
    // Its classes stay unknown, as the classes of a file outside the workspace are.
    if (e instanceof ParseLimit) return new Map();
    throw e;
  } finally {
    source?.dispose();
  }
  return out;
}

type LastDrop = InnerDrop & { rate?: Rate };

function detachDrop(drop: LastDrop | undefined, file: string): LastDrop | undefined {
  if (!drop) return undefined;
  const { node, ...rest } = drop;
  return node ? { ...rest, external: { file, range: nodeRange(node as Node) } } : rest;
}

function detachDropout(d: ModelDropout | null, file: string): ExternalDropout | undefined {
  if (!d) return undefined;
  const external = d.external ?? (d.node ? { file, range: nodeRange(d.node) } : undefined);
  return external && { label: d.label, owner: d.owner, external };
}

function detachSummary(summary: ModuleSummary, file: string): ModuleSummary {
  return { ...summary, lastDrop: detachDrop(summary.lastDrop, file) };
}

/**
 * The submodules of a class that say something (a regularizer, a known output or role), and of the class of this
 * file each is built from: what a chain of another file (`self.model.dropout`) reads. Undefined when none does.
 */
function externalMembers(model: FileModel, cls: ModuleClass, file: string): Record<string, ExternalMember> | undefined {
  const informative = (d: ModuleDescription) => !!(d.regularizer || d.role || d.output !== 'unknown');
  const out: Record<string, ExternalMember> = {};
  for (const name of submoduleNames(model, cls)) {
    const description = model.forward.describeAttribute(cls, name);
    const inner = model.forward.modules.classOfAttribute(cls, name);
    let members: Record<string, ModuleDescription> | undefined;
    for (const n of inner ? submoduleNames(model, inner) : []) {
      const d = model.forward.describeAttribute(inner!, n);
      if (informative(d)) (members ??= {})[n] = detachDescription(d, file);
    }
    if (informative(description) || members) out[name] = { description: detachDescription(description, file), members };
  }
  return Object.keys(out).length ? out : undefined;
}

/** The names of `self.<name>` submodules a class and its superclasses of the file assign. */
function submoduleNames(model: FileModel, cls: ModuleClass): Set<string> {
  return new Set([cls, ...model.superclassesOf(cls.name)].flatMap((c) => c.members.submodules.map((s) => s.name)));
}

/** Only what a call site reads: role, output, the last dropout, element-wise-ness, the regularizer it is. */
function detachDescription(d: ModuleDescription, file: string): ModuleDescription {
  const out: ModuleDescription = { output: d.output };
  if (d.regularizer) out.regularizer = { spec: d.regularizer.spec, rate: d.regularizer.rate };
  if (d.role) out.role = d.role;
  if (d.preservesInput) out.preservesInput = true;
  const lastDrop = detachDrop(d.lastDrop, file);
  if (lastDrop) out.lastDrop = lastDrop;
  return out;
}
