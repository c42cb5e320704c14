// The VS Code side of Reglens: starts the language server (dist/server.js) and wires up the
// status bar item and commands. All analysis happens in the server.
import * as vscode from 'vscode';
import {
  LanguageClient,
  RevealOutputChannelOn,
  State,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import {
  CLIENT_COMMANDS,
  FIX_ALL_KIND,
  OPEN_SETTINGS_NOTIFICATION,
  PICK_SHAPE_COMMAND,
  PROFILER_STATUS_NOTIFICATION,
  SERVER_COMMANDS,
  type CheckWorkspaceResult,
  type OpenSettings,
  type ProfilerStatus,
  type ShapeChoice,
} from '../server/lsp/protocol';

/** What `vscode.extensions.getExtension('reglens.reglens').exports` holds once activated. */
export interface ReglensApi {
  /** The current language client. `reglens.restartServer` may replace it after a failed start. */
  readonly client: LanguageClient;
}

const CLIENT_ID = 'reglens';
const CLIENT_NAME = 'Reglens';

let client: LanguageClient | undefined;
let outputChannel: vscode.OutputChannel | undefined;
let statusItem: vscode.StatusBarItem | undefined;
let stateListener: vscode.Disposable | undefined;
let profilerItem: vscode.StatusBarItem | undefined;

export function activate(context: vscode.ExtensionContext): ReglensApi {
  outputChannel = vscode.window.createOutputChannel(CLIENT_NAME);
  statusItem = vscode.window.createStatusBarItem('reglens.status', vscode.StatusBarAlignment.Right, 100);
  statusItem.name = CLIENT_NAME;
  statusItem.command = CLIENT_COMMANDS.showOutput;
  statusItem.show();
  context.subscriptions.push(outputChannel, statusItem, { dispose: () => stateListener?.dispose() });
  profilerItem = vscode.window.createStatusBarItem('reglens.profiler', vscode.StatusBarAlignment.Right, 99);
  profilerItem.name = 'Reglens profiler';
  profilerItem.text = '$(pulse) Reglens profiler';
  profilerItem.tooltip = 'Reglens profiler: not started yet. Click to list the backends.';
  profilerItem.command = CLIENT_COMMANDS.showProfilerBackends;
  profilerItem.show();
  context.subscriptions.push(profilerItem);

  context.subscriptions.push(
    vscode.commands.registerCommand(CLIENT_COMMANDS.showOutput, () => outputChannel?.show(true)),
    vscode.commands.registerCommand(CLIENT_COMMANDS.restartServer, () => restart(context)),
    vscode.commands.registerCommand(CLIENT_COMMANDS.fixAll, fixAll),
    vscode.commands.registerCommand(CLIENT_COMMANDS.profileCurrentFile, profileCurrentFile),
    vscode.commands.registerCommand(CLIENT_COMMANDS.showProfilerBackends, showProfilerBackends),
    vscode.commands.registerCommand(CLIENT_COMMANDS.runWorkspaceCheck, checkWorkspace),
    vscode.commands.registerCommand(PICK_SHAPE_COMMAND, profileSiteWithShape),
    vscode.commands.registerCommand(CLIENT_COMMANDS.showDocumentation, (url: string) =>
      vscode.env.openExternal(vscode.Uri.parse(url)),
    ),
    // The server reads pyproject.toml only in trusted workspaces; it learns about trust at start-up.
    vscode.workspace.onDidGrantWorkspaceTrust(() => restart(context)),
  );

  startClient(context);
  return {
    get client(): LanguageClient {
      return client!;
    },
  };
}

export async function deactivate(): Promise<void> {
  const current = client;
  client = undefined;
  if (current) await disposeClient(current);
}

function createClient(context: vscode.ExtensionContext): LanguageClient {
  const serverModule = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: {
      module: serverModule,
      transport: TransportKind.ipc,
      options: { execArgv: ['--nolazy', '--inspect=6009'] },
    },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'python' },
      { scheme: 'untitled', language: 'python' },
      // Notebook cells; notebook sync itself is negotiated by the server's notebookDocumentSync capability.
      { scheme: 'vscode-notebook-cell', language: 'python' },
    ],
    synchronize: {
      configurationSection: 'reglens',
      // Python files keep the server's workspace index current (servers that register watchers get them anyway).
      fileEvents: [
        // Configuration files and the TOML files they may extend (server/engine/config-files.ts).
        vscode.workspace.createFileSystemWatcher('**/*.toml'),
        vscode.workspace.createFileSystemWatcher('**/*.py'),
      ],
    },
    initializationOptions: { workspaceTrusted: vscode.workspace.isTrusted },
    middleware: {
      // A lens click answers only when the worker has measured (a second or so): say at once that it runs.
      executeCommand: (command, args, next) =>
        command === SERVER_COMMANDS.profileSite ? whileProfiling(() => next(command, args)) : next(command, args),
    },
    outputChannel,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
  };
  const created = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  created.onNotification(PROFILER_STATUS_NOTIFICATION, (status: ProfilerStatus) => showProfilerStatus(status));
  created.onNotification(OPEN_SETTINGS_NOTIFICATION, ({ query }: OpenSettings) =>
    vscode.commands.executeCommand('workbench.action.openSettings', query),
  );
  stateListener?.dispose();
  stateListener = created.onDidChangeState(({ newState }) => showState(newState));
  return created;
}

function startClient(context: vscode.ExtensionContext): void {
  const created = createClient(context);
  client = created;
  showState(State.Starting);
  created.start().then(
    () => showState(created.state),
    (error: unknown) => {
      outputChannel?.appendLine(`Reglens server failed to start: ${describe(error)}`);
      if (client === created) showState(State.Stopped, describe(error));
    },
  );
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  const current = client;
  if (current && current.state === State.Running) {
    showState(State.Starting);
    try {
      await current.restart();
      showState(current.state);
      return;
    } catch (error) {
      outputChannel?.appendLine(`Reglens server restart failed: ${describe(error)}; starting a new client.`);
    }
  }
  // A client whose start failed (or that is stuck starting) cannot be restarted; replace it.
  client = undefined;
  if (current) await disposeClient(current);
  startClient(context);
}

async function disposeClient(target: LanguageClient): Promise<void> {
  try {
    await target.dispose();
  } catch {
    // A client that never got running throws on stop; there is nothing left to shut down.
  }
}

async function fixAll(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== 'python') {
    void vscode.window.showInformationMessage('Reglens: open a Python file or notebook cell to fix its problems.');
    return;
  }
  await vscode.commands.executeCommand('editor.action.codeAction', { kind: FIX_ALL_KIND, apply: 'first' });
}

// ---- profiler: all work happens in the server and its worker; these only ask and show ----------------------------

let lastProfilerStatus: ProfilerStatus | undefined;
let profilingRuns = 0;

function showProfilerStatus(status: ProfilerStatus | undefined = lastProfilerStatus): void {
  lastProfilerStatus = status;
  if (!profilerItem) return;
  const backend = status ? `: ${status.backend}` : '';
  profilerItem.text =
    profilingRuns > 0 ? '$(sync~spin) Reglens profiler: profiling…' : `$(pulse) Reglens profiler${backend}`;
  profilerItem.tooltip = status
    ? `Reglens profiler: ${status.backend} ` +
      `(${status.device})${status.fallback ? `\n${status.fallback}` : ''}\nClick to list every backend.`
    : 'Reglens profiler: not started yet. Click to list the backends.';
}

/** The status bar says "profiling…" from the click until the run answers (the lens follows when VS Code asks). */
async function whileProfiling<T>(run: () => Promise<T> | T): Promise<T> {
  profilingRuns++;
  showProfilerStatus();
  try {
    return await run();
  } finally {
    profilingRuns--;
    showProfilerStatus();
  }
}

async function showProfilerBackends(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const status = (await client?.sendRequest('workspace/executeCommand', {
    command: SERVER_COMMANDS.profilerBackends,
    arguments: [editor?.document.uri.toString() ?? ''],
  })) as ProfilerStatus | { error: string } | undefined;
  if (!status || 'error' in status) {
    void vscode.window.showErrorMessage(
      `Reglens profiler: ${status && 'error' in status ? status.error : 'the server is not running'}`,
    );
    return;
  }
  showProfilerStatus(status);
  const config = vscode.workspace.getConfiguration('reglens.profiler');
  const setting = config.get<string>('backend', 'auto');
  const items = [
    { name: 'auto', available: true, detail: 'The first that works: cuda, webgpu, wasm, cpu.' },
    ...status.statuses,
  ].map((s) => ({
    name: s.name,
    available: s.available,
    label: `${s.name === setting ? '$(check)' : s.available ? '$(circle-outline)' : '$(circle-slash)'} ${s.name}`,
    description: [
      s.name === setting ? 'selected' : '',
      s.name === status.backend ? 'in use' : s.available ? 'available' : 'unavailable',
    ]
      .filter(Boolean)
      .join(' · '),
    detail: s.detail,
  }));
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Reglens profiler backend',
    placeHolder: `In use: ${status.backend} (${status.device}). Choose one to use it.`,
  });
  if (!picked || picked.name === setting) return;
  if (!picked.available) {
    void vscode.window.showWarningMessage(`Reglens profiler: ${picked.name} is unavailable: ${picked.detail}`);
    return;
  }
  // Where the setting already has a value (a workspace's), else for the user: the choice must take effect.
  const inspected = config.inspect<string>('backend');
  const target =
    inspected?.workspaceFolderValue !== undefined
      ? vscode.ConfigurationTarget.WorkspaceFolder
      : inspected?.workspaceValue !== undefined
        ? vscode.ConfigurationTarget.Workspace
        : vscode.ConfigurationTarget.Global;
  await config.update('backend', picked.name, target);
}

async function profileCurrentFile(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== 'python') {
    void vscode.window.showInformationMessage('Reglens: open a Python file to profile its regularizers.');
    return;
  }
  // The server reports progress (with a Cancel button) through the client's work-done progress support.
  await vscode.commands.executeCommand(SERVER_COMMANDS.profileFile, editor.document.uri.toString());
}

/**
 * "Reglens: Check Workspace": the server checks every indexed file and publishes its problems, with a
 * cancellable progress notification of its own; this only reports the outcome.
 */
async function checkWorkspace(): Promise<void> {
  if (!client || client.state !== State.Running) {
    void vscode.window.showErrorMessage('Reglens: the server is not running.');
    return;
  }
  const result = (await client.sendRequest('workspace/executeCommand', {
    command: SERVER_COMMANDS.checkWorkspace,
    arguments: [],
  })) as CheckWorkspaceResult | null;
  if (!result) return;
  const files = `${result.files} file${result.files === 1 ? '' : 's'}`;
  const problems = `${result.problems} problem${result.problems === 1 ? '' : 's'}`;
  void vscode.window.setStatusBarMessage(
    result.cancelled
      ? `Reglens: workspace check cancelled after ${files} (${problems}).`
      : `Reglens: checked ${files}: ${problems}.`,
    10_000,
  );
}

async function profileSiteWithShape(
  uri: string,
  sites: string | string[],
  current: number[],
  choices: ShapeChoice[] = [{ shape: current, bytes: 0, current: true }],
): Promise<void> {
  const mb = (bytes: number) => `${Math.max(1, Math.round(bytes / 1024 ** 2))} MB`;
  const custom = { label: 'Custom…', description: 'refused when it needs more than reglens.profiler.memoryBudgetMB' };
  const picked = await vscode.window.showQuickPick(
    [
      ...choices.map((c) => ({
        label: `${c.current ? '$(check) ' : ''}[${c.shape.join(', ')}]`,
        description: [c.current ? 'current' : '', c.bytes ? `needs ${mb(c.bytes)}` : ''].filter(Boolean).join(' · '),
        shape: `[${c.shape.join(', ')}]`,
      })),
      { ...custom, shape: undefined },
    ],
    { title: 'Profile at shape', placeHolder: 'Shapes that fit the profiler memory budget' },
  );
  if (!picked) return;
  let shape = picked.shape;
  if (shape === undefined) {
    const typed = await vscode.window.showInputBox({
      prompt: 'Shape, e.g. [8, 256, 768]',
      value: `[${current.join(', ')}]`,
      validateInput: (v) =>
        /^\s*\[?\s*\d+(\s*,\s*\d+){0,5}\s*\]?\s*$/.test(v)
          ? undefined
          : 'Up to 6 positive integers, e.g. [8, 256, 768]',
    });
    if (!typed) return;
    shape = typed;
  }
  for (const site of Array.isArray(sites) ? sites : [sites])
    await vscode.commands.executeCommand(SERVER_COMMANDS.profileSite, uri, site, shape);
}

function showState(state: State, failure?: string): void {
  if (!statusItem) return;
  switch (state) {
    case State.Running:
      statusItem.text = '$(check) Reglens';
      statusItem.tooltip = 'Reglens is running. Click to show its output.';
      statusItem.backgroundColor = undefined;
      break;
    case State.Starting:
      statusItem.text = '$(sync~spin) Reglens';
      statusItem.tooltip = 'Reglens is starting.';
      statusItem.backgroundColor = undefined;
      break;
    case State.Stopped:
      statusItem.text = '$(error) Reglens';
      statusItem.tooltip =
        `Reglens server ${failure ? `failed: ${failure}` : 'stopped'}. Click to show its ` +
        `output; run "Reglens: Restart Server" to try again.`;
      statusItem.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      break;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
