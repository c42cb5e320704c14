// Runs a real VS Code for the end-to-end tests: code-server (VS Code 1.100 in a browser) on 127.0.0.1 with fresh
// user-data, extensions and XDG folders per run, rendered by Debian's Chromium through playwright-core.
// Used by the e2e tests and by `npm run editor`; scripts/setup-e2e.mjs installs both programs.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumPath, codeServerBin, missingPrerequisites, root } from '../../scripts/e2e-env.mjs';

export { root };
export const examplesDir = path.join(root, 'examples');
/** Where the extension-host suite is bundled (test/e2e/suite/ → one CommonJS file per test module). */
export const suiteOutDir = path.join(root, '.cache', 'e2e', 'suite');
export const resultsDir = path.join(root, 'test-results');

/** Why the e2e tests cannot run here (for a node:test `skip` reason), or undefined when they can. */
export function e2eSkipReason(): string | undefined {
  const missing: string[] = missingPrerequisites();
  if (missing.length === 0) return undefined;
  return `end-to-end prerequisites missing: ${missing.join('; ')}. Run \`npm run setup:e2e\` (.ci/run does).`;
}

/** User settings of every run: nothing that opens a page, asks for trust, phones home or updates. */
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'chat.disableAIFeatures': true,
  'files.autoSave': 'off',
  'editor.accessibilitySupport': 'off',
  'window.restoreWindows': 'none',
};

/** A temporary copy of examples/ (so every run starts from the committed fixtures) with its own pyproject-free root. */
export function prepareWorkspace(parent: string): string {
  const workspace = path.join(parent, 'workspace');
  fs.cpSync(examplesDir, workspace, { recursive: true });
  return workspace;
}

export interface CodeServer {
  readonly port: number;
  readonly url: string;
  /** Scratch folder of this run: user data, extensions, XDG folders, workspace. */
  readonly scratch: string;
  readonly extensionsDir: string;
  /** code-server's own output so far, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export interface CodeServerOptions {
  /** Extra environment for code-server and, through it, the extension host. */
  env?: Record<string, string>;
  /** Extra user settings. */
  settings?: Record<string, unknown>;
  /** A fixed port (npm run editor); a free one otherwise. */
  port?: number;
  scratch?: string;
}

export async function startCodeServer(options: CodeServerOptions = {}): Promise<CodeServer> {
  const scratch = options.scratch ?? fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-e2e-'));
  const userDataDir = path.join(scratch, 'user-data');
  const extensionsDir = path.join(scratch, 'extensions');
  for (const dir of [userDataDir, extensionsDir, path.join(scratch, 'xdg-config'), path.join(scratch, 'xdg-data')]) {
    fs.mkdirSync(dir, { recursive: true });
  }
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...USER_SETTINGS, ...options.settings }, null, 2),
  );
  const port = options.port ?? (await freePort());
  const child = spawn(
    codeServerBin,
    [
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--auth',
      'none',
      '--user-data-dir',
      userDataDir,
      '--extensions-dir',
      extensionsDir,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
    ],
    {
      env: {
        ...process.env,
        XDG_CONFIG_HOME: path.join(scratch, 'xdg-config'),
        XDG_DATA_HOME: path.join(scratch, 'xdg-data'),
        // The test runner's own tsx/loader flags must not reach code-server's Node processes.
        NODE_OPTIONS: '',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so stop() also ends the extension host and the language server
    },
  );
  // A test process that dies (a timeout, an uncaught error) must not leave code-server and its extension host behind.
  const killOnExit = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', killOnExit);
  child.once('close', () => process.removeListener('exit', killOnExit));
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  const server: CodeServer = {
    port,
    url,
    scratch,
    extensionsDir,
    log: () => output,
    stop: () => stopProcessGroup(child),
  };
  try {
    await waitForHttp(`${url}/healthz`, child, () => output);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/** code-server's CLI on a fresh extensions folder, e.g. `--install-extension reglens.vsix`. */
export async function codeServerCli(args: string[], extensionsDir: string, scratch: string): Promise<string> {
  const child = spawn(
    codeServerBin,
    ['--extensions-dir', extensionsDir, '--user-data-dir', path.join(scratch, 'user-data'), ...args],
    {
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        XDG_CONFIG_HOME: path.join(scratch, 'xdg-config'),
        XDG_DATA_HOME: path.join(scratch, 'xdg-data'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`code-server ${args.join(' ')} exited with ${code}:\n${output}`);
  return output;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

/** `vscode-remote://` URI of a local path, as the `payload` URL parameter wants it. */
export function remoteUri(server: CodeServer, file: string): string {
  return `vscode-remote://127.0.0.1:${server.port}${path.resolve(file)}`;
}

/** The workbench URL opening `folder`, optionally as an extension development host and test runner. */
export function workbenchUrl(
  server: CodeServer,
  folder: string,
  dev?: { extensionDevelopmentPath: string; extensionTestsPath?: string },
): string {
  const params = new URLSearchParams({ folder });
  if (dev) {
    const payload: [string, string][] = [['extensionDevelopmentPath', remoteUri(server, dev.extensionDevelopmentPath)]];
    if (dev.extensionTestsPath) payload.push(['extensionTestsPath', remoteUri(server, dev.extensionTestsPath)]);
    params.set('payload', JSON.stringify(payload));
  }
  return `${server.url}/?${params}`;
}

/**
 * Runs the bundled mocha suite inside the extension host of a code-server window and resolves with the exit code
 * that the workbench reports through `codeAutomationExit` (as the test-web runner does).
 */
export async function runExtensionTests(
  page: Page,
  url: string,
  timeoutMs: number,
  consoleLog?: string[],
): Promise<number> {
  // The extension host forwards its console (mocha's spec reporter) to the workbench page.
  if (consoleLog) page.on('console', (message) => consoleLog.push(message.text()));
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((resolve) => (resolveExit = resolve));
  await page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(code));
  await page.goto(url);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the extension-host suite did not finish within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Saves a full-page screenshot under test-results/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
  return file;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}:\n${log()}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`code-server did not answer ${url} within 60 s:\n${log()}`);
}

async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const closed = new Promise((resolve) => child.once('close', resolve));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 5_000);
  await closed;
  clearTimeout(timer);
}

/**
 * Bundles the extension-host suite (test/e2e/suite/index.ts) into .cache/e2e/suite/index.js; vscode and mocha stay
 * external.
 */
export async function buildSuite(): Promise<string> {
  const outfile = path.join(suiteOutDir, 'index.js');
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: [path.join(root, 'test', 'e2e', 'suite', 'index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });
  return outfile;
}
