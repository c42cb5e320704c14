import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { performance } from 'node:perf_hooks';
import {
  CodeActionKind,
  DidChangeWatchedFilesNotification,
  MessageType,
  WatchKind,
  ShowMessageNotification,
  TextDocumentSyncKind,
  type CancellationToken,
  type CodeAction,
  type CodeActionParams,
  type CodeLens,
  type CodeLensParams,
  type Connection,
  type Diagnostic,
  type DidChangeNotebookDocumentParams,
  type DidCloseNotebookDocumentParams,
  type DidOpenNotebookDocumentParams,
  type DidChangeConfigurationParams,
  type DidChangeTextDocumentParams,
  type DidChangeWatchedFilesParams,
  type DidCloseTextDocumentParams,
  type DidOpenTextDocumentParams,
  type ExecuteCommandParams,
  type Hover,
  type HoverParams,
  type InitializeParams,
  type InitializeResult,
  type WorkspaceFolder,
} from 'vscode-languageserver/node';
import { CONFIGURATION_GLOB, ConfigFiles, mayChangeConfiguration } from '../engine/config-files';
import { OutsideConfigurationWatch } from './outside-configuration';
import { MAX_FILE_BYTES } from '../engine/analyze';
import { ParseLimit } from '../engine/parser';
import { VERSION } from '../engine/project';
import type { Finding } from '../engine/types';
import { kindRequested, quickFixes } from './codeActions';
import { documentPath, readEditorSettings, resolveDocumentConfig } from './configuration';
import { toDiagnostic } from './diagnostics';
import { OpenDocument } from './documents';
import { hover } from './hover';
import { NOTEBOOK_SYNC, OpenNotebook, type CellRef } from './notebooks';
import { ProfilingService } from './profiling';
import { FIX_ALL_KIND, type FixAllData, MEMORY_AFTER_GC_REQUEST, SERVER_COMMANDS } from './protocol';
import { SettingsSource } from './settings-source';
import { cellView, fileView, type DocumentView } from './views';
import { WorkspaceService, type WorkspaceFolderPath } from './workspace';
import { ruleByCode, ruleCodes } from '../rules';

export interface ServerOptions {
  /** Set when the tree-sitter runtime or grammar failed to load: the server then answers but analyses nothing. */
  parserError?: string;
}

/** What the VS Code client (client/extension.ts) and other editors may pass in `initializationOptions`. */
interface InitializationOptions {
  /** `false` in an untrusted VS Code workspace: pyproject.toml is then never read. */
  workspaceTrusted?: boolean;
  /** The `reglens` settings, for clients without `workspace/configuration`; either the section or `{ reglens: … }`. */
  settings?: unknown;
}

/**
 * A burst of changes (a paste, a multi-cursor edit, a formatter) arrives as many didChange notifications that
 * the connection hands over one per event-loop turn. Analysis waits until a turn passes without a new change, so
 * the burst is analysed once; this bound keeps a never-ending stream of changes from starving diagnostics.
 */
const MAX_COALESCE_MS = 50;

export function startServer(connection: Connection, options: ServerOptions = {}): ReglensServer {
  const server = new ReglensServer(connection, options);
  server.register();
  return server;
}

export class ReglensServer {
  /** Open documents by URI; an open notebook is here too, under its own URI, as the joined text of its cells. */
  private readonly docs = new Map<string, OpenDocument>();
  /** Open notebooks by URI (server/lsp/notebooks.ts). */
  private readonly notebooks = new Map<string, OpenNotebook>();
  private configFiles = new ConfigFiles(ruleCodes);
  /** The `reglens` settings, pulled or pushed (server/lsp/settings-source.ts). */
  private readonly settings: SettingsSource;
  private documentChanges = false;
  private watchedFilesDynamic = false;
  /** Watches the configuration files read outside the workspace folders (client relative patterns needed). */
  private outsideConfiguration: OutsideConfigurationWatch | undefined;
  private outsideConfigurationPending = false;
  private trusted = true;
  /** Configuration problems already shown; each is shown once while it persists. */
  private readonly shownConfigMessages = new Set<string>();
  /** Code lenses, profile commands and profile hovers (server/lsp/profiling.ts). */
  private readonly profiling: ProfilingService;
  private readonly profilingHooks = {
    document: (uri: string) => this.docs.get(uri),
    regularizerClasses: (uri: string) => {
      const scope = this.workspace.scopeFor(uri);
      return (importedName: string) => scope.regularizerClass(importedName);
    },
    settings: (uri: string) => this.settings.section(uri, 'reglens.profiler and reglens.codeLens'),
    codeLensRefresh: false,
    workDoneProgress: false,
    trusted: true,
    logError: (what: string, e: unknown) => this.logError(what, e),
    republish: (uri: string) => {
      const doc = this.docs.get(uri);
      if (doc) this.schedule(doc);
    },
  };

  /** The workspace index, file-watch updates and "Check workspace" (server/lsp/workspace.ts). */
  private readonly workspace: WorkspaceService;
  private workspaceFolders: WorkspaceFolderPath[] = [];
  private workspaceFolderEvents = false;

  constructor(
    private readonly connection: Connection,
    private readonly options: ServerOptions,
  ) {
    this.settings = new SettingsSource(connection, (what, e) => this.logError(what, e));
    this.profiling = new ProfilingService(connection, this.profilingHooks, ruleByCode);
    this.workspace = new WorkspaceService(connection, {
      // A document too large to analyse is not indexed from the editor (the index reads the disk's copy, which has a
      // size check).
      openText: (file) => {
        const doc = this.openDocumentAt(file);
        return doc && !doc.tooLarge ? doc.text : null;
      },
      isOpen: (uri) => this.docs.has(uri),
      openProblems: (uri) => {
        const doc = this.docs.get(uri);
        if (!doc) return null;
        this.ensureFresh(doc);
        return doc.findings.length;
      },
      analysisPending: () => [...this.docs.values()].some((doc) => doc.dirty || !doc.config),
      reanalyse: (modules) => {
        let any = false;
        for (const doc of this.docs.values()) {
          if (!modules.has('*') && ![...modules].some((m) => doc.consulted?.has(m))) continue;
          this.schedule(doc);
          any = true;
        }
        // A regularizer class of another file may have changed, and with it the lens where it is constructed.
        if (any) this.profiling.refreshLenses();
      },
      settings: (scopeUri) => this.settings.editor(scopeUri),
      configFiles: () => this.configFiles,
      workDoneProgress: () => this.profilingHooks.workDoneProgress,
      logError: (what, e) => this.logError(what, e),
    });
  }

  register(): void {
    const c = this.connection;
    c.onInitialize(
      this.request('initialize', null as unknown as InitializeResult, (params: InitializeParams) =>
        this.initialize(params),
      ),
    );
    c.onInitialized(this.notification('initialized', () => this.initialized()));
    c.onShutdown(() => {
      try {
        this.shutdown();
      } catch (e) {
        this.logError('shutdown', e);
      }
    });
    c.onDidOpenTextDocument(this.notification('didOpen', (p: DidOpenTextDocumentParams) => this.didOpen(p)));
    c.onDidChangeTextDocument(this.notification('didChange', (p: DidChangeTextDocumentParams) => this.didChange(p)));
    c.onDidCloseTextDocument(this.notification('didClose', (p: DidCloseTextDocumentParams) => this.didClose(p)));
    const notebooks = c.notebooks.synchronization;
    notebooks.onDidOpenNotebookDocument(
      this.notification('notebookDocument/didOpen', (p: DidOpenNotebookDocumentParams) => this.didOpenNotebook(p)),
    );
    notebooks.onDidChangeNotebookDocument(
      this.notification('notebookDocument/didChange', (p: DidChangeNotebookDocumentParams) =>
        this.didChangeNotebook(p),
      ),
    );
    notebooks.onDidCloseNotebookDocument(
      this.notification('notebookDocument/didClose', (p: DidCloseNotebookDocumentParams) => this.didCloseNotebook(p)),
    );
    c.onDidChangeConfiguration(
      this.notification('didChangeConfiguration', (p: DidChangeConfigurationParams) => this.didChangeConfiguration(p)),
    );
    c.onDidChangeWatchedFiles(
      this.notification('didChangeWatchedFiles', (p: DidChangeWatchedFilesParams) => this.didChangeWatchedFiles(p)),
    );
    c.onCodeAction(
      this.request('codeAction', [] as CodeAction[], (p: CodeActionParams, token) => this.codeAction(p, token)),
    );
    c.onCodeActionResolve(
      this.request('codeActionResolve', null as unknown as CodeAction, (a: CodeAction, token) =>
        this.resolveCodeAction(a, token),
      ),
    );
    c.onHover(this.request('hover', null as Hover | null, (p: HoverParams, token) => this.hover(p, token)));
    c.onCodeLens(
      this.request('codeLens', [] as CodeLens[], (p: CodeLensParams) => this.codeLenses(p.textDocument.uri)),
    );
    c.onExecuteCommand(
      this.request('executeCommand', null as unknown, (p: ExecuteCommandParams, token) =>
        p.command === SERVER_COMMANDS.checkWorkspace
          ? this.workspace.checkWorkspace(token)
          : this.profiling.executeCommand(p.command, this.commandArguments(p.arguments ?? []), token),
      ),
    );
    // Test-only (test/stress/edit-storm.stress.ts): memory after a full GC, so a test can see the server leak. Only
    // registered when the test sets REGLENS_TEST_HOOKS=1 in the server's environment; no editor sets it.
    if (process.env.REGLENS_TEST_HOOKS === '1') c.onRequest(MEMORY_AFTER_GC_REQUEST, () => memoryAfterGc());
  }

  // ---- lifecycle -------------------------------------------------------------------------------------------------

  private initialize(params: InitializeParams): InitializeResult {
    const init = (params.initializationOptions ?? {}) as InitializationOptions;
    this.trusted = init.workspaceTrusted !== false;
    this.configFiles = new ConfigFiles(ruleCodes, this.trusted, () => this.configurationFilesRead());
    this.profilingHooks.trusted = this.trusted;
    this.settings.push(init.settings);
    const caps = params.capabilities;
    this.settings.pull = caps.workspace?.configuration === true;
    this.documentChanges = caps.workspace?.workspaceEdit?.documentChanges === true;
    const watched = caps.workspace?.didChangeWatchedFiles;
    this.watchedFilesDynamic = watched?.dynamicRegistration === true;
    this.outsideConfiguration =
      this.trusted && this.watchedFilesDynamic && watched?.relativePatternSupport === true
        ? new OutsideConfigurationWatch(this.connection, (what, e) => this.logError(what, e))
        : undefined;
    this.profilingHooks.codeLensRefresh = caps.workspace?.codeLens?.refreshSupport === true;
    this.profilingHooks.workDoneProgress = caps.window?.workDoneProgress === true;
    this.workspaceFolderEvents = caps.workspace?.workspaceFolders === true;
    this.workspaceFolders = folderPaths(
      params.workspaceFolders ?? (params.rootUri ? [{ uri: params.rootUri, name: '' }] : []),
    );
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        notebookDocumentSync: NOTEBOOK_SYNC,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND], resolveProvider: true },
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
        executeCommandProvider: { commands: Object.values(SERVER_COMMANDS) },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'reglens', version: VERSION },
    };
  }

  private initialized(): void {
    this.connection.console.info(
      `Reglens ${VERSION} started ` +
        `(${this.trusted ? 'trusted workspace' : 'untrusted workspace: configuration files are not read'}; settings ` +
        `${this.settings.pull ? 'pulled' : 'pushed'}).`,
    );
    if (this.options.parserError)
      this.showMessage(MessageType.Error, `Reglens cannot analyse Python: ${this.options.parserError}`);
    if (this.watchedFilesDynamic) {
      // Python files keep the workspace index current. A folder deleted, copied or moved in may be one event for
      // the folder itself, with none for the files in it.
      const watchers = [{ globPattern: '**/*.py' }, { globPattern: '**/*', kind: WatchKind.Delete | WatchKind.Create }];
      if (this.trusted) watchers.unshift({ globPattern: CONFIGURATION_GLOB });
      this.connection.client
        .register(DidChangeWatchedFilesNotification.type, { watchers })
        .catch((e) => this.logError('registering for file changes', e));
    }
    if (this.workspaceFolderEvents) {
      this.connection.workspace.onDidChangeWorkspaceFolders((event) => {
        const removed = new Set(event.removed.map((f) => f.uri));
        this.workspaceFolders = [
          ...this.workspaceFolders.filter((f) => !removed.has(f.uri)),
          ...folderPaths(event.added),
        ];
        this.workspace.setFolders(this.workspaceFolders);
      });
    }
    this.workspace.setFolders(this.workspaceFolders);
  }

  private shutdown(): void {
    this.profiling.dispose();
    this.workspace.dispose();
    for (const doc of this.docs.values()) doc.dispose();
    this.docs.clear();
    this.notebooks.clear();
  }

  // ---- documents -------------------------------------------------------------------------------------------------

  private didOpen(params: DidOpenTextDocumentParams): void {
    const { uri, languageId, version, text } = params.textDocument;
    this.docs.get(uri)?.dispose();
    const doc = new OpenDocument(uri, languageId, version);
    this.docs.set(uri, doc);
    this.load(doc, () => doc.open(text));
    this.workspace.documentOpened(uri);
    void this.configure(doc, true);
  }

  private didChange(params: DidChangeTextDocumentParams): void {
    const doc = this.docs.get(params.textDocument.uri);
    if (!doc) {
      this.connection.console.warn(`Reglens: change for ${params.textDocument.uri}, which is not open; ignored.`);
      return;
    }
    for (const change of params.contentChanges) {
      const range = 'range' in change ? change.range : undefined;
      this.load(doc, () => doc.applyChange(range, change.text));
    }
    if (params.textDocument.version !== null && params.textDocument.version !== undefined)
      doc.version = params.textDocument.version;
    this.load(doc, () => doc.reparse());
    this.schedule(doc);
    this.workspace.documentEdited(doc.uri);
  }

  private didClose(params: DidCloseTextDocumentParams): void {
    const uri = params.textDocument.uri;
    const doc = this.docs.get(uri);
    if (doc) {
      doc.dispose();
      this.docs.delete(uri);
    }
    // After "Check workspace" the file keeps its findings on disk; otherwise closing clears them.
    if (!this.workspace.documentClosed(uri)) void this.connection.sendDiagnostics({ uri, diagnostics: [] });
  }

  // ---- notebooks -------------------------------------------------------------------------------------------------

  private didOpenNotebook(params: DidOpenNotebookDocumentParams): void {
    const uri = params.notebookDocument.uri;
    this.closeNotebook(uri);
    const doc = new OpenDocument(uri, 'python', params.notebookDocument.version);
    const notebook = new OpenNotebook(uri, params, doc);
    this.docs.get(uri)?.dispose();
    this.docs.set(uri, doc);
    this.notebooks.set(uri, notebook);
    this.load(doc, () => doc.open(notebook.text));
    void this.configure(doc, true);
    this.workspace.notebookOpened(uri);
  }

  private didChangeNotebook(params: DidChangeNotebookDocumentParams): void {
    const notebook = this.notebooks.get(params.notebookDocument.uri);
    if (!notebook) {
      this.connection.console.warn(
        `Reglens: change for notebook ${params.notebookDocument.uri}, which is not open; ignored.`,
      );
      return;
    }
    const doc = notebook.doc;
    const change = notebook.applyChange(params);
    doc.version = notebook.version;
    if (change) this.load(doc, () => doc.applyChange(change.range, change.text));
    this.load(doc, () => doc.reparse());
    // A structure change with the same text (an empty cell added or removed) still changes which cells are shown.
    if (change || params.change.cells?.structure || params.change.cells?.data) this.schedule(doc);
  }

  private didCloseNotebook(params: DidCloseNotebookDocumentParams): void {
    this.closeNotebook(params.notebookDocument.uri);
    this.workspace.notebookClosed(params.notebookDocument.uri);
  }

  private closeNotebook(uri: string): void {
    const notebook = this.notebooks.get(uri);
    if (!notebook) return;
    notebook.dispose();
    this.notebooks.delete(uri);
    if (this.docs.get(uri) === notebook.doc) this.docs.delete(uri);
    for (const cellUri of notebook.published.keys())
      void this.connection.sendDiagnostics({ uri: cellUri, diagnostics: [] });
  }

  /** A command's document argument that names a notebook cell ("profile this file" in a cell) names its notebook. */
  private commandArguments(args: unknown[]): unknown[] {
    const cell = typeof args[0] === 'string' ? this.cellRef(args[0]) : undefined;
    return cell ? [cell.notebook.uri, ...args.slice(1)] : args;
  }

  /** The notebook cell a document URI names, if it is one. */
  private cellRef(uri: string): CellRef | undefined {
    for (const notebook of this.notebooks.values()) {
      const index = notebook.cellIndex(uri);
      if (index >= 0) return { notebook, index, uri };
    }
    return undefined;
  }

  /** Runs a text operation; if tree-sitter throws, the document carries on as plain text (and is not analysed). */
  private load(doc: OpenDocument, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (e instanceof ParseLimit) this.reportNotParsed(doc, e);
      else this.logError(`parsing ${doc.uri}`, e);
    }
  }

  /**
   * Text tree-sitter gave up on (parser.ts ParseLimit): said once per document, which stays unanalysed until edited.
   */
  private reportNotParsed(doc: OpenDocument, e: ParseLimit): void {
    if (doc.notParsedNotified) return;
    doc.notParsedNotified = true;
    this.showMessage(
      MessageType.Warning,
      `Reglens: ${displayName(doc.uri)} is not checked: ${e.message}. It is checked again after the next edit that ` +
        `lets it parse.`,
    );
  }

  // ---- analysis --------------------------------------------------------------------------------------------------

  /**
   * Marks the document for analysis on a later event-loop turn (setImmediate, never a timer). If further changes
   * arrive first, only the latest text is analysed.
   */
  private schedule(doc: OpenDocument): void {
    doc.dirty = true;
    doc.changeSeq++;
    if (doc.timer) return;
    doc.dirtySince = performance.now();
    // -1: the first turn always waits one more turn, so that a change already queued behind this one lands first.
    doc.seenSeq = -1;
    doc.timer = setImmediate(() => this.tick(doc));
  }

  private tick(doc: OpenDocument): void {
    doc.timer = undefined;
    if (this.docs.get(doc.uri) !== doc || !doc.dirty) return;
    // The bound grows with what an analysis of this document costs: a storm of edits to a file that takes 500 ms
    // to analyse must not be analysed every 50 ms, version after stale version, while the edits queue up
    // (test/stress/edit-storm.stress.ts fell minutes behind).
    if (
      doc.seenSeq !== doc.changeSeq &&
      performance.now() - doc.dirtySince < Math.max(MAX_COALESCE_MS, 2 * doc.lastAnalysisMs)
    ) {
      doc.seenSeq = doc.changeSeq;
      doc.timer = setImmediate(() => this.tick(doc));
      return;
    }
    const started = performance.now();
    try {
      this.analyze(doc);
    } catch (e) {
      this.logError(`analysing ${doc.uri}`, e);
    }
    doc.lastAnalysisMs = performance.now() - started;
  }

  /** Analyses now if the text or configuration changed since the last analysis, so a request sees current findings. */
  private ensureFresh(doc: OpenDocument): void {
    if (doc.dirty) this.analyze(doc);
  }

  /** Analyses the current text and publishes its diagnostics (with the document version). */
  private analyze(doc: OpenDocument): void {
    if (doc.timer) clearImmediate(doc.timer);
    doc.timer = undefined;
    const config = doc.config;
    // Configuration not resolved yet: configure() analyses when it is.
    if (!config) return;
    let findings: Finding[] = [];
    if (config.enable) {
      if (doc.tooLarge) this.reportTooLarge(doc);
      else if (doc.sourceFile) {
        try {
          // Classes imported from other files of the workspace resolve through the index.
          const scope = this.workspace.scopeFor(doc.uri);
          findings = doc.analyzer.analyze(doc.sourceFile, config.selection, scope);
          doc.consulted = scope.consulted;
        } catch (e) {
          if (e instanceof ParseLimit) {
            doc.notParsed();
            this.reportNotParsed(doc, e);
          } else this.logError(`analysing ${doc.uri}`, e);
        }
      }
    }
    doc.setFindings(findings);
    const version = doc.version;
    // Profiled sites add their measured figures to the messages (the findings themselves stay as analysed).
    const measured = this.profiling.annotator(doc);
    const notebook = this.notebooks.get(doc.uri);
    if (notebook?.doc === doc) {
      for (const params of notebook.cellDiagnostics(findings, measured)) void this.connection.sendDiagnostics(params);
      return;
    }
    void this.connection.sendDiagnostics({
      uri: doc.uri,
      version,
      diagnostics: findings.map((f, i) => toDiagnostic(doc.uri, measured(f), version, i)),
    });
  }

  private reportTooLarge(doc: OpenDocument): void {
    if (doc.tooLargeNotified) return;
    doc.tooLargeNotified = true;
    const mb = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(1);
    this.showMessage(
      MessageType.Warning,
      `Reglens: ${displayName(doc.uri)} is ${mb(doc.byteLength)} MB, more than the ${mb(MAX_FILE_BYTES)} MB ` +
        `Reglens analyses, so it is not checked.`,
    );
  }

  // ---- configuration ---------------------------------------------------------------------------------------------

  /**
   * Resolves the document's settings (pulling the `reglens` section when `pull` is set and the client supports it),
   * combines them with pyproject.toml, and re-analyses. A newer call for the same document wins.
   */
  private async configure(doc: OpenDocument, pull: boolean): Promise<void> {
    const generation = ++doc.configGeneration;
    try {
      let editor = doc.editorSettings;
      if (!this.settings.pull) editor = readEditorSettings(this.settings.pushed);
      else if (pull || !editor) {
        const raw = await this.settings.section(doc.uri);
        if (doc.configGeneration !== generation || this.docs.get(doc.uri) !== doc) return;
        editor = readEditorSettings(raw);
      }
      doc.editorSettings = editor;
      const fsPath = documentPath(doc.uri);
      const folder = fsPath ? (this.workspace.folderOf(fsPath)?.path ?? null) : null;
      const config = resolveDocumentConfig(doc.uri, editor!, this.configFiles, folder);
      if (config.configFile && config.configFile !== doc.config?.configFile)
        this.connection.console.info(`Reglens: ${doc.uri} uses ${config.configFile}`);
      if (config.excluded && !doc.config?.excluded)
        this.connection.console.info(`Reglens: ${doc.uri} is excluded (\`exclude\`): no diagnostics`);
      doc.config = config;
      for (const message of config.errors) {
        if (this.shownConfigMessages.has(message)) continue;
        this.shownConfigMessages.add(message);
        this.showMessage(MessageType.Warning, message);
      }
    } catch (e) {
      this.logError(`configuring ${doc.uri}`, e);
      if (doc.configGeneration !== generation) return;
      doc.config = resolveDocumentConfig(doc.uri, readEditorSettings(undefined), new ConfigFiles(ruleCodes, false));
    }
    this.schedule(doc);
  }

  /** A configuration file was read: once the reads of this turn are done, watch those outside the folders. */
  private configurationFilesRead(): void {
    if (!this.outsideConfiguration || this.outsideConfigurationPending) return;
    this.outsideConfigurationPending = true;
    setImmediate(() => {
      this.outsideConfigurationPending = false;
      const folders = this.workspaceFolders.map((f) => f.path);
      this.outsideConfiguration?.update(this.configFiles.filesRead(), folders);
    });
  }

  private async reconfigureAll(pull: boolean): Promise<void> {
    await Promise.all([...this.docs.values()].map((doc) => this.configure(doc, pull)));
    // A problem that is gone may be shown again should it come back.
    const current = new Set<string>();
    for (const doc of this.docs.values()) for (const m of doc.config?.errors ?? []) current.add(m);
    for (const m of [...this.shownConfigMessages]) if (!current.has(m)) this.shownConfigMessages.delete(m);
  }

  private didChangeConfiguration(params: DidChangeConfigurationParams): void {
    if (!this.settings.pull && params.settings !== null && params.settings !== undefined)
      this.settings.push(params.settings);
    void this.reconfigureAll(true);
    // `reglens.codeLens` or the profiler's shape may have changed what the lenses show.
    this.profiling.refreshLenses();
    // `reglens.exclude` may have changed what the index holds.
    void this.workspace.settingsChanged().catch((e) => this.logError('re-reading reglens.exclude', e));
  }

  private didChangeWatchedFiles(params: DidChangeWatchedFilesParams): void {
    this.workspace.filesChanged(params.changes);
    if (!params.changes.some((c) => mayChangeConfiguration(decodeURIComponent(c.uri)))) return;
    this.configFiles.clear();
    void this.reconfigureAll(false);
    this.workspace.rebuild();
  }

  /** The open document of a file path, if there is one. */
  private openDocumentAt(file: string): OpenDocument | undefined {
    for (const doc of this.docs.values()) if (documentPath(doc.uri) === file) return doc;
    return undefined;
  }

  // ---- requests --------------------------------------------------------------------------------------------------

  /** What a request's URI names: an open file, or a cell of an open notebook (analysed as the notebook's text). */
  private view(uri: string): DocumentView | undefined {
    const cell = this.cellRef(uri);
    if (cell) return cellView(cell);
    const doc = this.docs.get(uri);
    return doc ? fileView(doc) : undefined;
  }

  private codeAction(params: CodeActionParams, token: CancellationToken): CodeAction[] {
    const view = this.view(params.textDocument.uri);
    if (!view || token.isCancellationRequested) return [];
    const doc = view.doc;
    this.ensureFresh(doc);
    if (!doc.config?.enable || !doc.sourceFile) return [];
    const only = params.context.only;
    const options = { documentChanges: this.documentChanges, isCancelled: () => token.isCancellationRequested };
    const actions: CodeAction[] = [];
    if (kindRequested(only, CodeActionKind.QuickFix)) {
      // The client's own diagnostic objects go back in the actions, whatever the view mapped them to.
      const original = new Map<Diagnostic, Diagnostic>();
      const analysed = params.context.diagnostics.flatMap((d) => {
        const mapped = view.diagnosticToAnalysed(d);
        if (mapped) original.set(mapped, d);
        return mapped ? [mapped] : [];
      });
      for (const action of quickFixes(doc, params.textDocument.uri, analysed, options)) {
        const mapped = view.actionFromAnalysed(action, options);
        if (mapped) actions.push({ ...mapped, diagnostics: mapped.diagnostics?.map((d) => original.get(d) ?? d) });
      }
    }
    // Fix-all only when asked for by kind (a save with codeActionsOnSave, the Source Action menu, reglens.fixAll).
    if (only !== undefined && kindRequested(only, FIX_ALL_KIND) && !token.isCancellationRequested) {
      const fixAll = view.fixAll(options, this.workspace.scopeFor(doc.uri));
      if (fixAll) actions.push(fixAll);
    }
    return token.isCancellationRequested ? [] : actions;
  }

  /** A fix-all entry of the quick-fix menu gets its edit only when chosen: computing it re-checks the file. */
  private resolveCodeAction(action: CodeAction, token: CancellationToken): CodeAction {
    const data = action.data as FixAllData | undefined;
    const view = data?.uri ? this.view(data.uri) : undefined;
    if (!data || !view || action.edit) return action;
    this.ensureFresh(view.doc);
    const options = { documentChanges: this.documentChanges, isCancelled: () => token.isCancellationRequested };
    const fixed = view.fixAll(options, this.workspace.scopeFor(view.doc.uri), data.code);
    return fixed?.edit ? { ...action, edit: fixed.edit } : action;
  }

  private async hover(params: HoverParams, token: CancellationToken): Promise<Hover | null> {
    const view = this.view(params.textDocument.uri);
    const position = view?.toAnalysed(params.position);
    if (!view || !position || token.isCancellationRequested) return null;
    const doc = view.doc;
    this.ensureFresh(doc);
    const rules = hover(doc, position);
    const profile = await this.profiling.hover(doc, position);
    const text = (h: Hover) => (typeof h.contents === 'object' && 'value' in h.contents ? h.contents.value : '');
    const result =
      !profile || token.isCancellationRequested
        ? rules
        : !rules
          ? profile
          : {
              contents: { kind: 'markdown' as const, value: `${text(rules)}\n\n---\n\n${text(profile)}` },
              range: rules.range,
            };
    if (!result) return null;
    const range = result.range && view.fromAnalysed(result.range);
    return range ? { ...result, range } : { contents: result.contents };
  }

  /** Code lenses of the analysed text that fall in the request's document. */
  private async codeLenses(uri: string): Promise<CodeLens[]> {
    const view = this.view(uri);
    if (!view) return this.profiling.codeLenses(uri);
    this.ensureFresh(view.doc);
    const lenses = await this.profiling.codeLenses(view.doc.uri);
    return lenses.flatMap((lens) => {
      const range = view.fromAnalysed(lens.range);
      return range ? [{ ...lens, range }] : [];
    });
  }

  // ---- plumbing --------------------------------------------------------------------------------------------------

  private showMessage(type: MessageType, message: string): void {
    void this.connection.sendNotification(ShowMessageNotification.type, { type, message });
  }

  private logError(what: string, error: unknown): void {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    try {
      this.connection.console.error(`Reglens: ${what} failed: ${detail}`);
    } catch {
      // The connection itself is gone; nothing left to tell.
    }
  }

  /** A request handler that logs any exception and answers `fallback` instead of failing the request. */
  private request<P, R>(name: string, fallback: R, fn: (params: P, token: CancellationToken) => R | Promise<R>) {
    return (params: P, token: CancellationToken): R | Promise<R> => {
      try {
        const result = fn(params, token);
        if (result instanceof Promise) {
          return result.catch((e: unknown) => {
            this.logError(name, e);
            return fallback;
          });
        }
        return result;
      } catch (e) {
        this.logError(name, e);
        return fallback;
      }
    };
  }

  /** A notification handler that logs any exception instead of letting it escape. */
  private notification<P>(name: string, fn: (params: P) => void) {
    return (params: P): void => {
      try {
        fn(params);
      } catch (e) {
        this.logError(name, e);
      }
    };
  }
}

/** Test-only request (REGLENS_TEST_HOOKS=1): runs a full GC and answers `process.memoryUsage()`. */
function memoryAfterGc(): NodeJS.MemoryUsage {
  // --expose-gc at run time: the server is started by editors with no flags of ours.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage();
}

function folderPaths(folders: readonly WorkspaceFolder[]): WorkspaceFolderPath[] {
  const out: WorkspaceFolderPath[] = [];
  for (const f of folders) {
    const p = documentPath(f.uri);
    if (p) out.push({ uri: f.uri, path: p });
  }
  return out;
}

function displayName(uri: string): string {
  try {
    return decodeURIComponent(path.posix.basename(new URL(uri).pathname)) || uri;
  } catch {
    return uri;
  }
}
