// Helpers shared by the extension-host suites. Expectations come from the engine itself: the CLI bundle of the
// extension under test (`dist/cli.js`) is run on the same text, and the suites compare what VS Code shows with it.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';

export const EXTENSION_ID = 'reglens.reglens';

interface ReglensApi {
  readonly client: LanguageClient;
}

let activation: Promise<ReglensApi> | undefined;

/** Activates Reglens once (opening a Python file would too) and waits until its language server runs. */
export function activated(): Promise<ReglensApi> {
  activation ??= (async () => {
    const extension = vscode.extensions.getExtension<ReglensApi>(EXTENSION_ID);
    if (!extension) throw new Error(`${EXTENSION_ID} is not installed in this VS Code`);
    const api = await extension.activate();
    if (!api?.client) throw new Error('the extension activated without exporting its language client');
    await waitFor(() => api.client.isRunning(), 'the Reglens language server to start', 20_000);
    return api;
  })();
  return activation;
}

export function extensionPath(): string {
  return vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
}

export function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the suite needs the examples workspace open');
  return folder.uri.fsPath;
}

export function workspaceFile(relative: string): vscode.Uri {
  return vscode.Uri.file(path.join(workspaceRoot(), relative));
}

/** The files of the examples workspace, with their text as committed (read before any suite edits them). */
const originals = new Map<string, string>();
export function originalText(relative: string): string {
  let text = originals.get(relative);
  if (text === undefined) {
    text = fs.readFileSync(path.join(extensionPath(), 'examples', relative), 'utf8');
    originals.set(relative, text);
  }
  return text;
}

/** Every example the extension ships, so a new example (and its rule) is covered without editing the suite. */
export const EXAMPLE_FILES: readonly string[] = (() => {
  const root = path.join(extensionPath(), 'examples');
  const inDir = (dir: string) =>
    fs.existsSync(path.join(root, dir))
      ? fs
          .readdirSync(path.join(root, dir))
          .filter((f) => f.endsWith('.py'))
          .sort()
          .map((f) => (dir === '.' ? f : `${dir}/${f}`))
      : [];
  return [...inDir('.'), ...inDir('clean')];
})();

/** Opens a workspace file in an editor, with its committed text restored (on disk and in the editor). */
export async function openFresh(relative: string): Promise<vscode.TextEditor> {
  const uri = workspaceFile(relative);
  const document = await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(document, { preview: false });
  const original = originalText(relative);
  if (document.getText() !== original) {
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, fullRange(document), original);
    if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`could not restore ${relative}`);
  }
  if (document.isDirty) await document.save();
  return editor;
}

export function fullRange(document: vscode.TextDocument): vscode.Range {
  return new vscode.Range(new vscode.Position(0, 0), document.lineAt(document.lineCount - 1).range.end);
}

export function reglensDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'reglens');
}

export function codeOf(diagnostic: vscode.Diagnostic): string {
  const code = diagnostic.code;
  return typeof code === 'object' && code !== null ? String(code.value) : String(code);
}

/** Polls until `predicate` holds (diagnostics arrive asynchronously after every change). */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until the Reglens diagnostics of `uri` satisfy `predicate`, and returns them. */
export async function waitForDiagnostics(
  uri: vscode.Uri,
  predicate: (diagnostics: vscode.Diagnostic[]) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<vscode.Diagnostic[]> {
  try {
    await waitFor(() => predicate(reglensDiagnostics(uri)), what, timeoutMs);
  } catch (error) {
    throw new Error(
      `${(error as Error).message}; last diagnostics of ${path.basename(uri.fsPath)}: ` +
        `${JSON.stringify(reglensDiagnostics(uri).map(summary))}`,
    );
  }
  return reglensDiagnostics(uri);
}

/** A diagnostic as the CLI's JSON prints it: 1-based positions. */
export interface Summary {
  code: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  message: string;
}

export function summary(diagnostic: vscode.Diagnostic): Summary {
  return {
    code: codeOf(diagnostic),
    line: diagnostic.range.start.line + 1,
    column: diagnostic.range.start.character + 1,
    endLine: diagnostic.range.end.line + 1,
    endColumn: diagnostic.range.end.character + 1,
    message: diagnostic.message,
  };
}

export function sortSummaries(list: Summary[]): Summary[] {
  return [...list].sort((a, b) => a.line - b.line || a.column - b.column || a.code.localeCompare(b.code));
}

export interface CliEdit {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  content: string;
}
export interface CliDiagnostic extends Summary {
  /** Notebooks only: the finding's cell, counted from 1 in the notebook's cells array. */
  cell?: number;
  severity: string;
  fix?: { applicability: 'safe' | 'unsafe'; edits: CliEdit[] };
}

/** Runs the extension's own CLI bundle with Node (the extension host's executable is Electron or Node). */
export function cli(args: string[], input?: string): { stdout: string; stderr: string } {
  const cliPath = path.join(extensionPath(), 'dist', 'cli.js');
  try {
    const stdout = execFileSync(process.execPath, [cliPath, ...args], {
      input,
      cwd: os.tmpdir(), // no pyproject.toml of the workspace or the repository applies: default settings
      encoding: 'utf8',
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', NODE_OPTIONS: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return { stdout, stderr: '' };
  } catch (error) {
    const failed = error as { status?: number; stdout?: string; stderr?: string };
    if (failed.status === 1) return { stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' }; // findings
    throw new Error(`reglens ${args.join(' ')} failed (${failed.status}): ${failed.stderr}`);
  }
}

/** The engine's findings for the committed text of a workspace file, with default settings. */
export function engineFindings(relative: string, extraArgs: string[] = []): CliDiagnostic[] {
  return engineFindingsOf(relative, originalText(relative), extraArgs);
}

export function engineFindingsOf(relative: string, text: string, extraArgs: string[] = []): CliDiagnostic[] {
  const { stdout } = cli(['check', '--format', 'json', '--stdin-filename', relative, ...extraArgs], text);
  return (JSON.parse(stdout) as { diagnostics: CliDiagnostic[] }).diagnostics;
}

/** What `reglens check --fix` makes of `text` (safe fixes; `unsafe` adds the others). */
export function engineFixed(relative: string, text: string, unsafe = false): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-e2e-fix-'));
  try {
    const file = path.join(dir, path.basename(relative));
    fs.writeFileSync(file, text);
    cli(['check', '--fix', ...(unsafe ? ['--unsafe-fixes'] : []), file]);
    return fs.readFileSync(file, 'utf8');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Applies the CLI's 1-based edits to `text`, last first. */
export function applyCliEdits(text: string, edits: CliEdit[]): string {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const offset = (line: number, column: number) => lineStarts[line - 1] + column - 1;
  const sorted = [...edits].sort((a, b) => offset(b.line, b.column) - offset(a.line, a.column));
  let result = text;
  for (const edit of sorted) {
    result =
      result.slice(0, offset(edit.line, edit.column)) +
      edit.content +
      result.slice(offset(edit.endLine, edit.endColumn));
  }
  return result;
}

export async function quickFixesAt(uri: vscode.Uri, range: vscode.Range): Promise<vscode.CodeAction[]> {
  const actions = await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>(
    'vscode.executeCodeActionProvider',
    uri,
    range,
    vscode.CodeActionKind.QuickFix.value,
    100,
  );
  return (actions ?? []).filter(
    (a): a is vscode.CodeAction => 'title' in a && !('command' in a && typeof a.command === 'string'),
  );
}

/**
 * Writes a workspace setting (.vscode/settings.json of the temporary workspace) and waits until VS Code reads it
 * back. `update` can resolve before the workbench has reloaded a settings file it just created, and a save started
 * in that gap runs without the new `editor.codeActionsOnSave` (seen on a slow CI machine). The extension host's copy
 * of the configuration comes from the workbench, so once it shows the value the workbench has it too. Callers await
 * the diagnostics a setting changes.
 */
export async function setSetting(section: string, key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration(section).update(key, value, vscode.ConfigurationTarget.Workspace);
  const wanted = JSON.stringify(value);
  await waitFor(
    () => JSON.stringify(vscode.workspace.getConfiguration(section).inspect(key)?.workspaceValue) === wanted,
    `the workspace setting ${section}.${key} to read back as ${wanted}`,
  );
}
