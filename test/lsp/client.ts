// A small LSP client for the tests: spawns the real bundled server (dist/server.js --stdio) and talks JSON-RPC
// to it over the child's stdio, the way an editor does.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import type { Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';
import { pathToFileURL } from 'node:url';
import { lineStarts } from '../../server/engine/parser';
import {
  CodeActionRequest,
  CodeActionResolveRequest,
  CodeLensRequest,
  ConfigurationRequest,
  createMessageConnection,
  DidChangeConfigurationNotification,
  DidChangeNotebookDocumentNotification,
  DidCloseNotebookDocumentNotification,
  DidOpenNotebookDocumentNotification,
  NotebookCellKind,
  DidChangeTextDocumentNotification,
  DidChangeWatchedFilesNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExecuteCommandRequest,
  ExitNotification,
  FileChangeType,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  LogMessageNotification,
  PublishDiagnosticsNotification,
  RegistrationRequest,
  UnregistrationRequest,
  ShowMessageNotification,
  ShowMessageRequest,
  ShutdownRequest,
  StreamMessageReader,
  WorkDoneProgressCreateRequest,
  StreamMessageWriter,
  type ClientCapabilities,
  type CodeAction,
  type CodeLens,
  type Command,
  type ConfigurationItem,
  type Diagnostic,
  type FileEvent,
  type Hover,
  type InitializeResult,
  type LogMessageParams,
  type MessageConnection,
  type NotebookDocumentChangeEvent,
  type Position,
  type PublishDiagnosticsParams,
  type Range,
  type Registration,
  type ShowMessageParams,
  type TextDocumentContentChangeEvent,
  type TextEdit,
  type WorkspaceEdit,
  type WorkspaceFolder,
} from 'vscode-languageserver-protocol/node';

export const SERVER = path.resolve(__dirname, '..', '..', 'dist', 'server.js');

/** Roughly what VS Code announces, restricted to what Reglens looks at. */
export const VSCODE_CAPABILITIES: ClientCapabilities = {
  workspace: {
    configuration: true,
    didChangeConfiguration: { dynamicRegistration: true },
    didChangeWatchedFiles: { dynamicRegistration: true },
    workspaceEdit: { documentChanges: true },
  },
  textDocument: {
    synchronization: { dynamicRegistration: true },
    publishDiagnostics: {
      relatedInformation: true,
      versionSupport: true,
      tagSupport: { valueSet: [1, 2] },
      codeDescriptionSupport: true,
      dataSupport: true,
    },
    codeAction: {
      codeActionLiteralSupport: {
        codeActionKind: { valueSet: ['', 'quickfix', 'refactor', 'source', 'source.fixAll'] },
      },
      isPreferredSupport: true,
      dataSupport: true,
    },
    hover: { contentFormat: ['markdown', 'plaintext'] },
  },
  notebookDocument: { synchronization: { dynamicRegistration: true, executionSummarySupport: true } },
};

/** A notebook cell as the tests open it: its document URI, kind and text. */
export interface TestCell {
  uri: string;
  kind: 'code' | 'markdown';
  text: string;
  /** The cell document's language; `python` for code cells unless given. */
  languageId?: string;
  version?: number;
}

/** A cell's document URI as VS Code makes them: the notebook's path, the cell in the fragment. */
export function cellUri(notebookUri: string, id: string | number): string {
  return `vscode-notebook-cell:${new URL(notebookUri).pathname}#${id}`;
}

export interface StartOptions {
  capabilities?: ClientCapabilities;
  initializationOptions?: unknown;
  /** Answers `workspace/configuration` for `section: "reglens"`; may be changed later through `client.settings`. */
  settings?: (scopeUri: string | undefined) => unknown;
  env?: NodeJS.ProcessEnv;
  /** The folders of the workspace (absolute paths); none by default. */
  workspaceFolders?: string[];
}

/** A `$/progress` value the server sent, with its token. */
export interface ProgressEvent {
  token: string | number;
  value: {
    kind: 'begin' | 'report' | 'end';
    title?: string;
    message?: string;
    percentage?: number;
    cancellable?: boolean;
  };
}

interface Waiter {
  uri: string;
  accept: (p: PublishDiagnosticsParams) => boolean;
  resolve: (p: PublishDiagnosticsParams) => void;
}

export class TestClient {
  readonly published: PublishDiagnosticsParams[] = [];
  readonly messages: ShowMessageParams[] = [];
  readonly logs: LogMessageParams[] = [];
  readonly registrations: Registration[] = [];
  /** The ids of the registrations the server took back. */
  readonly unregistrations: string[] = [];
  readonly configurationRequests: ConfigurationItem[] = [];
  /** Work-done progress the server created and reported, in order. */
  readonly progress: ProgressEvent[] = [];
  settings: (scopeUri: string | undefined) => unknown;
  initializeResult!: InitializeResult;
  stderr = '';
  private readonly latest = new Map<string, PublishDiagnosticsParams>();
  private waiters: Waiter[] = [];
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcessWithoutNullStreams,
    readonly connection: MessageConnection,
    options: StartOptions,
  ) {
    this.settings = options.settings ?? (() => ({}));
    child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    // A server that died must fail the test that uses it, not crash the test process with EPIPE.
    child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
      this.published.push(p);
      this.latest.set(p.uri, p);
      const still: Waiter[] = [];
      for (const w of this.waiters) {
        if (w.uri === p.uri && w.accept(p)) w.resolve(p);
        else still.push(w);
      }
      this.waiters = still;
    });
    connection.onNotification(ShowMessageNotification.type, (p) => this.messages.push(p));
    // A message with buttons (a refused shape's "Open Settings"): recorded as a message, dismissed.
    connection.onRequest(ShowMessageRequest.type, (p) => {
      this.messages.push(p);
      return null;
    });
    connection.onNotification(LogMessageNotification.type, (p) => this.logs.push(p));
    connection.onRequest(ConfigurationRequest.type, (p) => {
      this.configurationRequests.push(...p.items);
      // `settings` may answer a promise: a test can hold the answer back.
      return Promise.all(p.items.map((item) => (item.section === 'reglens' ? this.settings(item.scopeUri) : null)));
    });
    connection.onRequest(RegistrationRequest.type, (p) => {
      this.registrations.push(...p.registrations);
      return null;
    });
    connection.onRequest(UnregistrationRequest.type, (p) => {
      this.unregistrations.push(...p.unregisterations.map((u) => u.id));
      return null;
    });
    connection.onRequest(WorkDoneProgressCreateRequest.type, () => null);
    connection.onNotification('$/progress', (p: ProgressEvent) => this.progress.push(p));
    connection.listen();
  }

  static async start(options: StartOptions = {}): Promise<TestClient> {
    if (!fs.existsSync(SERVER)) throw new Error(`${SERVER} is missing: run \`node esbuild.mjs\` (npm test does) first`);
    const child = spawn(process.execPath, [SERVER, '--stdio'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    const connection = createMessageConnection(
      new StreamMessageReader(child.stdout),
      new StreamMessageWriter(child.stdin),
    );
    const client = new TestClient(child, connection, options);
    started.push(client);
    const initialized = connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: null,
      capabilities: options.capabilities ?? VSCODE_CAPABILITIES,
      initializationOptions: options.initializationOptions,
      workspaceFolders:
        options.workspaceFolders?.map(
          (f): WorkspaceFolder => ({ uri: pathToFileURL(f).href, name: path.basename(f) }),
        ) ?? null,
    });
    const died = client.exited.then((code) => {
      throw new Error(`the server exited with code ${code} before answering initialize:\n${client.stderr}`);
    });
    died.catch(() => undefined); // Once initialize is answered, a later exit is the test's business.
    client.initializeResult = await Promise.race([initialized, died]);
    await connection.sendNotification(InitializedNotification.type, {});
    return client;
  }

  open(uri: string, text: string, version = 1): void {
    void this.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: 'python', version, text },
    });
  }

  change(uri: string, version: number, contentChanges: TextDocumentContentChangeEvent[]): void {
    void this.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version },
      contentChanges,
    });
  }

  close(uri: string): void {
    void this.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  /** notebookDocument/didOpen with these cells (markdown cells too, as a client without a cell filter sends them). */
  openNotebook(uri: string, cells: readonly TestCell[], version = 1): void {
    void this.connection.sendNotification(DidOpenNotebookDocumentNotification.type, {
      notebookDocument: {
        uri,
        notebookType: 'jupyter-notebook',
        version,
        cells: cells.map((c) => ({ kind: notebookCellKind(c), document: c.uri })),
      },
      cellTextDocuments: cells.map((c) => textDocumentItem(c)),
    });
  }

  changeNotebook(uri: string, version: number, change: NotebookDocumentChangeEvent): void {
    void this.connection.sendNotification(DidChangeNotebookDocumentNotification.type, {
      notebookDocument: { uri, version },
      change,
    });
  }

  /** Replaces `deleteCount` cells at `start` with `cells`, as VS Code reports an insert, delete or move. */
  changeNotebookCells(
    uri: string,
    version: number,
    start: number,
    deleteCount: number,
    removed: readonly TestCell[],
    cells: readonly TestCell[],
  ): void {
    this.changeNotebook(uri, version, {
      cells: {
        structure: {
          array: { start, deleteCount, cells: cells.map((c) => ({ kind: notebookCellKind(c), document: c.uri })) },
          didOpen: cells.map((c) => textDocumentItem(c)),
          didClose: removed.map((c) => ({ uri: c.uri })),
        },
      },
    });
  }

  /** Edits a cell's text, as VS Code reports typing in a cell. */
  changeCell(
    notebookUri: string,
    notebookVersion: number,
    cell: string,
    cellVersion: number,
    contentChanges: TextDocumentContentChangeEvent[],
  ): void {
    this.changeNotebook(notebookUri, notebookVersion, {
      cells: { textContent: [{ document: { uri: cell, version: cellVersion }, changes: contentChanges }] },
    });
  }

  closeNotebook(uri: string, cells: readonly TestCell[]): void {
    void this.connection.sendNotification(DidCloseNotebookDocumentNotification.type, {
      notebookDocument: { uri },
      cellTextDocuments: cells.map((c) => ({ uri: c.uri })),
    });
  }

  codeLenses(uri: string): Promise<CodeLens[] | null> {
    return this.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } });
  }

  configFileChanged(fileUri: string, type: FileChangeType = FileChangeType.Changed): void {
    void this.connection.sendNotification(DidChangeWatchedFilesNotification.type, {
      changes: [{ uri: fileUri, type }],
    });
  }

  /** File-watch events, as an editor sends them for the watchers the server registered. */
  filesChanged(changes: FileEvent[]): void {
    void this.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes });
  }

  executeCommand(command: string, args: unknown[] = []): Promise<unknown> {
    return this.connection.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
  }

  configurationChanged(settings: unknown = null): void {
    void this.connection.sendNotification(DidChangeConfigurationNotification.type, { settings });
  }

  /** The diagnostics of the latest publish for `uri` whose version is at least `version` (waits for it). */
  diagnostics(uri: string, version?: number, timeoutMs = 10_000): Promise<Diagnostic[]> {
    return this.publishFor(uri, version, timeoutMs).then((p) => p.diagnostics);
  }

  publishFor(uri: string, version?: number, timeoutMs = 10_000): Promise<PublishDiagnosticsParams> {
    const accept = (p: PublishDiagnosticsParams): boolean => version === undefined || (p.version ?? -1) >= version;
    const current = this.latest.get(uri);
    if (current && accept(current)) return Promise.resolve(current);
    return this.waitFor(
      uri,
      accept,
      timeoutMs,
      `diagnostics for ${uri}${version === undefined ? '' : ` version ${version}`}`,
    );
  }

  /** The diagnostics last published for `uri` (undefined: none yet). */
  current(uri: string): Diagnostic[] | undefined {
    return this.latest.get(uri)?.diagnostics;
  }

  /** The diagnostics of the first publish for `uri`, the latest one included, that `accept` takes (waits for it). */
  diagnosticsWhere(uri: string, accept: (d: Diagnostic[]) => boolean, timeoutMs = 10_000): Promise<Diagnostic[]> {
    const current = this.latest.get(uri);
    if (current && accept(current.diagnostics)) return Promise.resolve(current.diagnostics);
    const what = `diagnostics for ${uri} that the test takes`;
    return this.waitFor(uri, (p) => accept(p.diagnostics), timeoutMs, what).then((p) => p.diagnostics);
  }

  /** The next publish for `uri` from now on: call it before the notification that should cause it. */
  nextDiagnostics(uri: string, timeoutMs = 10_000): Promise<Diagnostic[]> {
    return this.waitFor(uri, () => true, timeoutMs, `the next diagnostics for ${uri}`).then((p) => p.diagnostics);
  }

  private waitFor(
    uri: string,
    accept: (p: PublishDiagnosticsParams) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<PublishDiagnosticsParams> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `timed out waiting for ${what}; last published: ${JSON.stringify(this.latest.get(uri))}\nserver ` +
              `stderr: ${this.stderr}`,
          ),
        );
      }, timeoutMs);
      const waiter: Waiter = {
        uri,
        accept,
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
      };
      this.waiters.push(waiter);
    });
  }

  codeActions(
    uri: string,
    range: Range,
    diagnostics: Diagnostic[],
    only?: string[],
  ): Promise<(Command | CodeAction)[] | null> {
    return this.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri },
      range,
      context: { diagnostics, only },
    });
  }

  /** `codeAction/resolve`: what the editor asks when the user picks an action that came without its edit. */
  resolveCodeAction(action: CodeAction): Promise<CodeAction> {
    return this.connection.sendRequest(CodeActionResolveRequest.type, action);
  }

  hover(uri: string, position: Position): Promise<Hover | null> {
    return this.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position });
  }

  /** A round trip: once answered, the server has handled every message sent before it. */
  async sync(): Promise<void> {
    await this.limited(
      this.connection.sendRequest(HoverRequest.type, {
        textDocument: { uri: 'untitled:sync' },
        position: { line: 0, character: 0 },
      }),
      'the answer to a hover request (sync)',
    );
  }

  /** shutdown + exit, as an editor closes the server; resolves with the exit code. */
  async shutdown(): Promise<number | null> {
    await this.limited(this.connection.sendRequest(ShutdownRequest.type), 'the answer to shutdown');
    await this.connection.sendNotification(ExitNotification.type);
    const code = await this.exit;
    this.connection.dispose();
    return code;
  }

  /** Exit code once the process is gone (for tests that end it themselves). */
  get exit(): Promise<number | null> {
    return this.limited(this.exited, 'the server to exit');
  }

  /**
   * `promise`, or an error saying what was awaited, with the server's stderr, after `timeoutMs`: a server that stalls
   * or dies fails the test that waits for it rather than hanging the whole run.
   */
  private limited<T>(promise: Promise<T>, what: string, timeoutMs = 20_000): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}\nserver stderr: ${this.stderr}`)),
        timeoutMs,
      );
    });
    return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
  }

  /** Test clean-up: ends the server if a test left it running. */
  dispose(): void {
    this.connection.dispose();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
  }

  /**
   * Once the file's tests are done: the server ended, and nothing of it (pipes, process handle) holds this process.
   * The pipes are unreferenced, not destroyed: a write still queued by the connection must not fail after the test.
   */
  release(): void {
    this.dispose();
    for (const stream of [this.child.stdin, this.child.stdout, this.child.stderr])
      (stream as Partial<Socket>).unref?.();
    this.child.unref();
  }
}

/**
 * Every client a test file started, released after its last test. Twice under the full run's load (never alone), a
 * file's process stayed after all its tests had passed, with no server child left, until the runner's file limit
 * failed it (test/lsp/configuration.test.ts, then test/lsp/lifecycle.test.ts); a child's streams and process handle
 * are what this module leaves referenced.
 */
const started: TestClient[] = [];
after(() => {
  for (const client of started.splice(0)) client.release();
  // Released, the file's process still stayed once more in CI (lifecycle.test.ts, all 4 passed, at `3bf66e4`), and
  // never here in 25 runs under load. Should it stay again, say what holds it, then end it with the status its tests
  // set: the runner has their results already, and a file that stays must not cost the whole run its 8 minutes.
  setTimeout(() => {
    const resources = process.getActiveResourcesInfo().join(', ');
    process.stderr.write(`test/lsp/client.ts: the file's tests are done and its process stayed (${resources})\n`);
    process.exit();
  }, STAY_LIMIT_MS).unref();
});

/** How long a test file's process may outlive its last test before it is ended. */
const STAY_LIMIT_MS = 30_000;

function notebookCellKind(cell: TestCell): NotebookCellKind {
  return cell.kind === 'code' ? NotebookCellKind.Code : NotebookCellKind.Markup;
}

function textDocumentItem(cell: TestCell) {
  return {
    uri: cell.uri,
    languageId: cell.languageId ?? (cell.kind === 'code' ? 'python' : 'markdown'),
    version: cell.version ?? 1,
    text: cell.text,
  };
}

/** Applies LSP text edits the way an editor does (all ranges refer to the original text). */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const starts = lineStarts(text);
  const offsetAt = (p: Position): number => {
    if (p.line >= starts.length) return text.length;
    let end = p.line + 1 < starts.length ? starts[p.line + 1] : text.length;
    while (end > starts[p.line] && (text[end - 1] === '\n' || text[end - 1] === '\r')) end--;
    return Math.min(starts[p.line] + p.character, end);
  };
  const spans = edits
    .map((e) => ({ start: offsetAt(e.range.start), end: offsetAt(e.range.end), text: e.newText }))
    .sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  let limit = Infinity;
  for (const s of spans) {
    if (s.end > limit) throw new Error('overlapping edits');
    out = out.slice(0, s.start) + s.text + out.slice(s.end);
    limit = s.start;
  }
  return out;
}

/**
 * A WorkspaceEdit's edits as didChange content changes. The edits' ranges all refer to the text before the edit,
 * while content changes apply one after another, so the editor sends them last first.
 */
export function contentChanges(edits: readonly TextEdit[]): { range: TextEdit['range']; text: string }[] {
  return [...edits]
    .sort(
      (a, b) =>
        b.range.start.line - a.range.start.line ||
        b.range.start.character - a.range.start.character ||
        b.range.end.line - a.range.end.line ||
        b.range.end.character - a.range.end.character,
    )
    .map((e) => ({ range: e.range, text: e.newText }));
}

/** The edits a WorkspaceEdit makes to one document (`changes` or `documentChanges`). */
export function editsFor(edit: WorkspaceEdit | undefined, uri: string): TextEdit[] {
  if (!edit) return [];
  const out: TextEdit[] = [...(edit.changes?.[uri] ?? [])];
  for (const change of edit.documentChanges ?? []) {
    if ('textDocument' in change && change.textDocument.uri === uri) out.push(...(change.edits as TextEdit[]));
  }
  return out;
}

export function applyWorkspaceEdit(text: string, uri: string, edit: WorkspaceEdit | undefined): string {
  return applyTextEdits(text, editsFor(edit, uri));
}

export function isCodeAction(a: Command | CodeAction): a is CodeAction {
  return typeof (a as CodeAction).kind === 'string' || (a as CodeAction).edit !== undefined;
}

/** A temporary folder with the given files; `uri('a.py')` names a file in it. */
export function tempProject(files: Record<string, string> = {}): {
  dir: string;
  path(rel: string): string;
  uri(rel: string): string;
  write(rel: string, text: string): void;
  cleanup(): void;
} {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-lsp-')));
  const project = {
    dir,
    path: (rel: string) => path.join(dir, rel),
    uri: (rel: string) => pathToFileURL(path.join(dir, rel)).href,
    write: (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
  for (const [rel, text] of Object.entries(files)) project.write(rel, text);
  return project;
}

/** Position of the first occurrence of `needle` in `text` (0-based line and UTF-16 character). */
export function positionOf(text: string, needle: string, occurrence = 0): Position {
  let index = -1;
  for (let i = 0; i <= occurrence; i++) {
    index = text.indexOf(needle, index + 1);
    if (index < 0) throw new Error(`${JSON.stringify(needle)} not found`);
  }
  const before = text.slice(0, index);
  const line = before.split('\n').length - 1;
  return { line, character: index - (before.lastIndexOf('\n') + 1) };
}

export function codes(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map((d) => `${d.code}@${d.range.start.line}`);
}
