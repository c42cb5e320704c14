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

/** What `vscode.extensions.getExtension('reglens.reglens').exports` holds once activated. */
export interface ReglensApi {
  /** The current language client. `reglens.restartServer` may replace it after a failed start. */
  readonly client: LanguageClient;
}

const CLIENT_ID = 'reglens';
const CLIENT_NAME = 'Reglens';
const FIX_ALL_KIND = 'source.fixAll.reglens';

let client: LanguageClient | undefined;
let outputChannel: vscode.OutputChannel | undefined;
let statusItem: vscode.StatusBarItem | undefined;
let stateListener: vscode.Disposable | undefined;

export function activate(context: vscode.ExtensionContext): ReglensApi {
  outputChannel = vscode.window.createOutputChannel(CLIENT_NAME);
  statusItem = vscode.window.createStatusBarItem('reglens.status', vscode.StatusBarAlignment.Right, 100);
  statusItem.name = CLIENT_NAME;
  statusItem.command = 'reglens.showOutput';
  statusItem.show();
  context.subscriptions.push(outputChannel, statusItem, { dispose: () => stateListener?.dispose() });

  context.subscriptions.push(
    vscode.commands.registerCommand('reglens.showOutput', () => outputChannel?.show(true)),
    vscode.commands.registerCommand('reglens.restartServer', () => restart(context)),
    vscode.commands.registerCommand('reglens.fixAll', fixAll),
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
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
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
      fileEvents: vscode.workspace.createFileSystemWatcher('**/pyproject.toml'),
    },
    initializationOptions: { workspaceTrusted: vscode.workspace.isTrusted },
    outputChannel,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
  };
  const created = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
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
      statusItem.tooltip = `Reglens server ${failure ? `failed: ${failure}` : 'stopped'}. Click to show its output; run "Reglens: Restart Server" to try again.`;
      statusItem.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      break;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
