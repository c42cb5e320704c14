import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  FileChangeType,
  type CancellationToken,
  type Connection,
  type FileEvent,
  type WorkDoneProgressServerReporter,
} from 'vscode-languageserver/node';
import { ParseLimit } from '../engine/parser';
import { SYNTAX_ERROR_CODE } from '../engine/syntax-errors';
import type { Finding } from '../engine/types';
import { importRoots, WorkspaceIndex, type IndexScope } from '../engine/workspace';
import { checkDocument, type Document, isNotebookPath, readDocument, textHash } from '../core/document';
import { discover, wouldDiscover } from '../core/files';
import { documentPath, isExcludedFile, resolveDocumentConfig, type EditorSettings } from './configuration';
import type { ConfigFiles } from '../engine/config-files';
import { toDiagnostic } from './diagnostics';
import type { CheckWorkspaceResult } from './protocol';
import { rules } from '../rules';

/**
 * The language server's side of the workspace index (server/engine/workspace.ts): which folders, which files
 * (discovery with .gitignore, virtual environments and `exclude`), building it in the background with
 * work-done progress, keeping it current from file-watch events and open documents, and "Reglens: Check
 * workspace", which publishes diagnostics for files that are not open.
 */

export interface WorkspaceFolderPath {
  uri: string;
  path: string;
}

export interface WorkspaceHooks {
  /** The text of an open document by its file path; null when the file is not open. */
  openText(file: string): string | null;
  isOpen(uri: string): boolean;
  /** How many problems an open file or notebook shows now; null when it is not open. */
  openProblems(uri: string): number | null;
  /** Open documents that consulted any of these modules must be analysed again. */
  reanalyse(modules: ReadonlySet<string>): void;
  /** Whether an open document still awaits its analysis (its first one, or one after an edit). */
  analysisPending(): boolean;
  /** The validated `reglens` settings of a folder (or of a file in it). */
  settings(scopeUri: string): Promise<EditorSettings>;
  configFiles(): ConfigFiles;
  workDoneProgress(): boolean;
  logError(what: string, e: unknown): void;
}

/** Files indexed between two turns of the event loop, so requests are answered while the index builds. */
const FILES_PER_TURN = 40;
/** Edits of an open document reach its dependents after this pause, not on every keystroke. */
const EDIT_SETTLE_MS = 150;
const TRACE = !!process.env.REGLENS_TRACE_INDEX;

export class WorkspaceService {
  private folders: WorkspaceFolderPath[] = [];
  private index: WorkspaceIndex;
  /**
   * The index a running build is filling. A file event or an edit during the build reaches it too: the build
   * discovered its files before it, and would otherwise put in place what it read before the change.
   */
  private filling: WorkspaceIndex | undefined;
  private generation = 0;
  private building: Promise<void> = Promise.resolve();
  /**
   * Unopened files whose diagnostics "Check workspace" published: the modules their analysis consulted, what they were
   * checked with (their text and settings; null once something they read changed) and how many problems they have.
   */
  private readonly published = new Map<
    string,
    { consulted: ReadonlySet<string>; checkedWith: string | null; problems: number }
  >();
  /** Every file discovery found at the last build, notebooks included: what "Check workspace" checks. */
  private discovered = new Set<string>();
  /** Set once "Check workspace" ran: closing a document then shows its on-disk findings instead of none. */
  private checkedWorkspace = false;
  private readonly pendingEdits = new Map<string, NodeJS.Timeout>();
  /** Per folder: a file or folder that discovery leaves out (exclude settings and pyproject globs). */
  private exclusions = new Map<string, (absolute: string) => boolean>();
  /** Per folder: the `reglens.exclude` and `configurationPreference` the index was built with. */
  private builtWith = new Map<string, string>();

  constructor(
    private readonly connection: Connection,
    private readonly hooks: WorkspaceHooks,
  ) {
    this.index = this.newIndex();
  }

  private newIndex(): WorkspaceIndex {
    return new WorkspaceIndex({
      roots: this.folders.flatMap((f) => importRoots(f.path)),
      read: (file) => this.read(file),
    });
  }

  private read(file: string): string | null {
    const open = this.hooks.openText(file);
    if (open !== null) return open;
    // The disk's copy, read as `reglens check` reads it (size, binary and encoding checks).
    const read = readDocument(file, file);
    return 'document' in read && read.document.kind === 'python' ? read.document.text : null;
  }

  /**
   * The `reglens` settings changed: the index is rebuilt only when a folder's exclusions did, so a change of
   * `select` or `severity` does not re-walk the workspace.
   */
  async settingsChanged(): Promise<void> {
    for (const folder of this.folders) {
      const editor = await this.hooks.settings(folder.uri);
      if (this.builtWith.get(folder.path) !== exclusionKey(editor)) {
        this.rebuild();
        return;
      }
    }
  }

  /** Resolves when the index build that is running (if any) has finished. */
  get ready(): Promise<void> {
    return this.building;
  }

  get size(): number {
    return this.index.size;
  }

  setFolders(folders: WorkspaceFolderPath[]): void {
    this.folders = folders;
    this.rebuild();
  }

  /**
   * Starts a fresh build (folders, settings or a pyproject.toml changed); a build still running is abandoned.
   * The current index answers until the new one is complete, so open files do not lose their cross-file findings.
   */
  rebuild(): void {
    const generation = ++this.generation;
    const run = this.build(generation, this.newIndex()).catch((e) => this.hooks.logError('indexing the workspace', e));
    this.building = run;
  }

  /** The resolution view for an open document or a checked file. */
  scopeFor(uri: string): IndexScope {
    return this.index.scopeFor(documentPath(uri));
  }

  private async build(generation: number, next: WorkspaceIndex): Promise<void> {
    this.filling = next;
    if (this.folders.length === 0) {
      this.swap(next);
      return;
    }
    const progress = await this.progress('Reglens: indexing the workspace');
    try {
      const files: string[] = [];
      this.exclusions = new Map();
      for (const folder of this.folders) {
        const excluded = await this.exclusionFor(folder);
        if (generation !== this.generation) return;
        this.exclusions.set(folder.path, excluded);
        files.push(...discover([folder.path], folder.path, { excluded }).files.map((f) => f.absolute));
      }
      const openFirst = this.openDocumentsFirst();
      await openFirst.next();
      for (let i = 0; i < files.length; i++) {
        if (generation !== this.generation) return;
        // By name: a file is read and scanned when an import first leads to it, as `reglens check` does; most
        // never are, and the server then parses none of them in the background.
        next.addUnscanned(files[i]);
        if ((i + 1) % FILES_PER_TURN === 0) {
          progress?.report(Math.round(((i + 1) / files.length) * 100), `${i + 1}/${files.length} files`);
          await new Promise((resolve) => setImmediate(resolve));
          await openFirst.next();
        }
      }
      const python = files.filter((f) => !isNotebookPath(f)).length;
      this.connection.console.info(
        `Reglens: indexed ${python} Python files in ${this.folders.length} workspace ` +
          `folder${this.folders.length === 1 ? '' : 's'}` +
          (python < files.length ? ` (and found ${files.length - python} notebooks, checked but not indexed).` : '.'),
      );
      this.discovered = new Set(files);
      this.swap(next);
    } finally {
      progress?.done();
    }
  }

  /**
   * Lets open documents be answered before the index goes on: their diagnostics come from the index in place (empty
   * at start) until the build is done either way, and the build would take the CPU they need. Each step waits
   * while a document awaits its analysis, the first after 20 ms for the messages already sent (the editor opens
   * its documents right after `initialized`); two seconds in all per build, so a storm of edits cannot hold the
   * index back.
   */
  private async *openDocumentsFirst(): AsyncGenerator<void, void, void> {
    let budget = 2000;
    for (let first = true; ; first = false) {
      const started = performance.now();
      if (first) await new Promise((r) => setTimeout(r, 20));
      while (this.hooks.analysisPending() && performance.now() - started < budget)
        await new Promise((r) => setTimeout(r, 5));
      budget = Math.max(0, budget - (performance.now() - started));
      yield;
    }
  }

  /** Applies a change to the index in place and to the one a build is filling; the modules it dropped in place. */
  private change(apply: (index: WorkspaceIndex) => Set<string>): Set<string> {
    if (this.filling) apply(this.filling);
    return apply(this.index);
  }

  /**
   * Puts a complete index in place. Everything may resolve differently now; files no longer indexed lose their
   * workspace diagnostics.
   */
  private swap(next: WorkspaceIndex): void {
    // No folders before or after (a single file opened without a folder): nothing can resolve differently.
    const mayChange = this.index.size > 0 || next.size > 0;
    this.index = next;
    if (this.filling === next) this.filling = undefined;
    if (!mayChange) return;
    this.hooks.reanalyse(new Set(['*']));
    if (this.checkedWorkspace) for (const uri of [...this.published.keys()]) this.recheck(uri);
  }

  private async exclusionFor(folder: WorkspaceFolderPath): Promise<(absolute: string) => boolean> {
    const editor = await this.hooks.settings(folder.uri);
    this.builtWith.set(folder.path, exclusionKey(editor));
    const configFiles = this.hooks.configFiles();
    return (absolute) => isExcludedFile(absolute, folder.path, editor, configFiles);
  }

  private async progress(title: string, cancellable = false): Promise<WorkDoneProgressServerReporter | undefined> {
    if (!this.hooks.workDoneProgress()) return undefined;
    const progress = await this.connection.window.createWorkDoneProgress().catch(() => undefined);
    progress?.begin(title, 0, undefined, cancellable);
    return progress;
  }

  /** The innermost workspace folder holding a file or folder. */
  folderOf(file: string): WorkspaceFolderPath | undefined {
    let best: WorkspaceFolderPath | undefined;
    for (const f of this.folders) {
      const rel = path.relative(f.path, file);
      if (rel.startsWith('..') || path.isAbsolute(rel)) continue;
      if (!best || f.path.length > best.path.length) best = f;
    }
    return best;
  }

  // ---- keeping the index current -----------------------------------------------------------------------------------

  /** File-watch events for Python files and folders (pyproject.toml events are the server's). */
  filesChanged(changes: readonly FileEvent[]): void {
    const started = performance.now();
    let updated = 0;
    const dropped = new Set<string>();
    const add = (modules: Set<string>) => {
      for (const m of modules) dropped.add(m);
    };
    for (const change of this.withCreatedFolders(changes)) {
      const file = documentPath(change.uri);
      if (!file || /(^|[/\\])pyproject\.toml$/i.test(file)) continue;
      if (change.type === FileChangeType.Deleted) {
        add(this.change((index) => (file.endsWith('.py') ? index.remove(file) : index.removeUnder(file))));
        for (const known of [...this.discovered])
          if (known === file || known.startsWith(file + path.sep)) this.discovered.delete(known);
        for (const uri of [...this.published.keys()]) {
          const p = documentPath(uri);
          if (p && (p === file || p.startsWith(file + path.sep))) this.unpublish(uri);
        }
        continue;
      }
      const notebook = isNotebookPath(file);
      if (!file.endsWith('.py') && !notebook) continue;
      const folder = this.folderOf(file);
      if (!folder || !wouldDiscover(file, folder.path, this.exclusions.get(folder.path))) continue;
      this.discovered.add(file);
      if (!notebook) {
        add(this.change((index) => index.update(file)));
        updated++;
      }
      // A file created or changed on disk after "Check workspace" is checked too.
      const uri = pathToFileURL(file).href;
      if (this.checkedWorkspace && !this.hooks.isOpen(uri)) this.recheck(uri);
    }
    // For `npm run bench -- workspace`: the index's own share of handling the event, measured where it happens.
    if (TRACE && updated > 0)
      this.connection.console.log(
        `Reglens: index updated for ${updated} file${updated === 1 ? '' : 's'} in ` +
          `${(performance.now() - started).toFixed(2)} ms`,
      );
    this.afterChange(dropped);
  }

  /**
   * The events, plus a created event for every Python file under each created folder: a folder copied or moved into
   * the workspace can reach the server as one event for the folder (the watcher coalesces, or the files were written
   * before the new folder was watched). Only folders a walk of the workspace would enter are walked, so an install
   * into node_modules or a virtual environment costs a stat per event, not a walk.
   */
  private withCreatedFolders(changes: readonly FileEvent[]): FileEvent[] {
    const out: FileEvent[] = [];
    for (const change of changes) {
      out.push(change);
      const dir = change.type === FileChangeType.Created ? documentPath(change.uri) : null;
      if (!dir || dir.endsWith('.py')) continue;
      const folder = this.folderOf(dir);
      if (!folder || !wouldDiscover(path.join(dir, '__init__.py'), folder.path, this.exclusions.get(folder.path)))
        continue;
      try {
        if (!fs.statSync(dir).isDirectory()) continue;
      } catch {
        continue; // gone again already
      }
      for (const file of discover([dir], dir).files)
        out.push({ uri: pathToFileURL(file.absolute).href, type: FileChangeType.Created });
    }
    return out;
  }

  /** An open document's text changed: its dependents see the edit once typing pauses. */
  documentEdited(uri: string): void {
    const file = documentPath(uri);
    if (!file || !(this.index.has(file) || this.filling?.has(file))) return;
    clearTimeout(this.pendingEdits.get(file));
    this.pendingEdits.set(
      file,
      setTimeout(() => {
        this.pendingEdits.delete(file);
        this.afterChange(this.change((index) => index.update(file)));
      }, EDIT_SETTLE_MS),
    );
  }

  /**
   * A document was closed: the index goes back to the text on disk, and after "Check workspace" the file keeps
   * its on-disk findings. Returns whether diagnostics were published for it (otherwise the server clears them).
   */
  documentClosed(uri: string): boolean {
    const file = documentPath(uri);
    if (!file) return false;
    const indexed = this.index.has(file) || this.filling?.has(file);
    // A file Check Workspace checks that the index cannot name as a module (`model-zoo/`) keeps its findings too.
    if (!indexed && !this.discovered.has(file)) return false;
    clearTimeout(this.pendingEdits.get(file));
    this.pendingEdits.delete(file);
    if (indexed) this.afterChange(this.change((index) => index.update(file)));
    if (!this.checkedWorkspace) return false;
    this.recheck(uri);
    return true;
  }

  /** A notebook was opened: the diagnostics "Check workspace" put on its file give way to its cells' own. */
  notebookOpened(uri: string): void {
    this.unpublish(uri);
  }

  /** A notebook was closed: after "Check workspace", its file shows its on-disk problems again. */
  notebookClosed(uri: string): void {
    if (this.checkedWorkspace && documentPath(uri)) this.recheck(uri);
  }

  /** A document was opened: its published workspace diagnostics give way to the document's own. */
  documentOpened(uri: string): void {
    this.published.delete(uri);
    this.documentEdited(uri);
  }

  private afterChange(dropped: ReadonlySet<string>): void {
    if (dropped.size === 0) return;
    this.hooks.reanalyse(dropped);
    for (const [uri, { consulted }] of [...this.published]) {
      if ([...dropped].some((m) => consulted.has(m))) this.recheck(uri);
    }
  }

  dispose(): void {
    this.generation++;
    for (const t of this.pendingEdits.values()) clearTimeout(t);
    this.pendingEdits.clear();
  }

  // ---- Check workspace
  // -----------------------------------------------------------------------------------------------

  /**
   * Publishes diagnostics for every file `reglens check` would check in the workspace folders (notebooks included)
   * that is not open, with cancellable progress; an open one counts with the problems it shows. The counts are the
   * CLI's, and the run is logged to the output channel.
   */
  async checkWorkspace(token: CancellationToken): Promise<CheckWorkspaceResult> {
    await this.building;
    const started = performance.now();
    const files = [...this.discovered].sort();
    const progress = await this.progress('Reglens: checking the workspace', true);
    let problems = 0;
    let checked = 0;
    let withProblems = 0;
    let reused = 0;
    let cancelled = false;
    this.checkedWorkspace = true;
    try {
      for (const file of files) {
        if (token.isCancellationRequested || progress?.token.isCancellationRequested) {
          cancelled = true;
          break;
        }
        const uri = pathToFileURL(file).href;
        const open = this.hooks.openProblems(uri);
        const outcome = open === null ? await this.checkFile(uri, true) : { problems: open, reused: false };
        const found = outcome.problems;
        if (outcome.reused) reused++;
        problems += found;
        if (found > 0) withProblems++;
        checked++;
        if (checked % FILES_PER_TURN === 0) {
          progress?.report(Math.round((checked / files.length) * 100), `${checked}/${files.length} files`);
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    } finally {
      progress?.done();
    }
    const notebooks = files.slice(0, checked).filter(isNotebookPath).length;
    this.connection.console.info(
      `Reglens: checked ${checked} file${checked === 1 ? '' : 's'}` +
        (notebooks ? ` (${notebooks} notebook${notebooks === 1 ? '' : 's'})` : '') +
        `: ${problems} problem${problems === 1 ? '' : 's'} in ${withProblems} file${withProblems === 1 ? '' : 's'}` +
        `${cancelled ? `, cancelled after ${checked} of ${files.length}` : ''} ` +
        `(${reused > 0 ? `${reused} unchanged since the last check, ` : ''}` +
        `${Math.round(performance.now() - started)} ms).`,
    );
    return { files: checked, problems, cancelled };
  }

  private recheck(uri: string): void {
    // What the file was checked with may have changed underneath it (a class it imports): never reuse its count.
    const published = this.published.get(uri);
    if (published) published.checkedWith = null;
    this.checkFile(uri).catch((e) => this.hooks.logError(`checking ${uri}`, e));
  }

  /**
   * Analyses an unopened file or notebook from disk and publishes its diagnostics; returns how many. A notebook's
   * sit on the notebook file: its cells have no URIs until it opens, so each diagnostic sits at the top of the file
   * and names its cell and line, as `reglens check` does. Opening the notebook replaces them with the cells' own.
   */
  private async checkFile(uri: string, reuse = false): Promise<{ problems: number; reused: boolean }> {
    const none = { problems: 0, reused: false };
    const file = documentPath(uri);
    if (!file || this.hooks.isOpen(uri)) return none;
    const document = this.readForCheck(file);
    if (!document) {
      this.unpublish(uri);
      return none;
    }
    const config = resolveDocumentConfig(
      uri,
      await this.hooks.settings(uri),
      this.hooks.configFiles(),
      this.folderOf(file)?.path ?? null,
    );
    if (this.hooks.isOpen(uri)) return none;
    // Its published problems stay current while nothing it was checked with changes: the server checks a file again
    // when it or a module it read changes on disk (`afterChange`), and its text and settings are compared here.
    const checkedWith = JSON.stringify([textHash(document.text), config.enable, config.selection.fingerprint()]);
    const last = this.published.get(uri);
    if (reuse && last?.checkedWith === checkedWith) return { problems: last.problems, reused: true };
    const scope = this.index.scopeFor(file);
    let diagnostics: ReturnType<typeof toDiagnostic>[] = [];
    if (config.enable) {
      try {
        const checked = await checkDocument(document, {
          rules,
          selection: config.selection,
          workspace: async () => scope,
        });
        // The editor's Python support reports syntax errors, and an open file's analysis does not: a file's problems
        // are the same whether it is open or not.
        diagnostics = checked.findings
          .filter((f) => f.finding.code !== SYNTAX_ERROR_CODE)
          .map(({ finding, cell }, i) =>
            toDiagnostic(uri, cell === undefined ? finding : onNotebookFile(finding, cell), 0, i),
          );
      } catch (e) {
        // Too deep or too slow to parse: not checked, as when it is opened (where the user is told why).
        if (!(e instanceof ParseLimit)) throw e;
      }
    }
    if (this.hooks.isOpen(uri)) return none;
    this.published.set(uri, { consulted: scope.consulted, checkedWith, problems: diagnostics.length });
    void this.connection.sendDiagnostics({ uri, diagnostics });
    return { problems: diagnostics.length, reused: false };
  }

  /**
   * What "Check workspace" reads of a file: a Python file's text (open or on disk), or a notebook. Every file found
   * is checked, as `reglens check` checks it, whether or not the index can name it as a module (`scripts/data-prep/
   * train.py`, a folder opened from above a `my-project/`).
   */
  private readForCheck(file: string): Document | null {
    if (isNotebookPath(file)) {
      const read = readDocument(file, file);
      return 'document' in read && read.document.kind === 'notebook' ? read.document : null;
    }
    const text = this.read(file);
    return text !== null ? { kind: 'python', text, bom: false } : null;
  }

  private unpublish(uri: string): void {
    if (!this.published.delete(uri)) return;
    void this.connection.sendDiagnostics({ uri, diagnostics: [] });
  }
}

/** A notebook cell's finding as a diagnostic on the notebook file: at its top, its message naming cell and line. */
function onNotebookFile(finding: Finding, cell: number): Finding {
  const top = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  const at = `cell ${cell + 1}, line ${finding.range.start.line + 1}`;
  return { ...finding, range: top, message: `${at}: ${finding.message}`, fix: null, alternatives: undefined };
}

function exclusionKey(editor: EditorSettings): string {
  return JSON.stringify([editor.rules.exclude ?? [], editor.preference, editor.configuration]);
}
