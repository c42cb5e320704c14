// Part (e): the workspace index on the extracted PyTorch and torchvision sources (.cache/real-code, as the
// real-code test obtains them), through the real language server (dist/server.js over stdio): time to a complete
// index, the server's RSS after it, and the time from a file-watch event for one changed dependency to the
// re-published diagnostics of an open file that imports it. Beside it, the engine alone: one file's index update.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { initParser } from '../server/engine/parser';
import { importRoots, WorkspaceIndex } from '../server/engine/workspace';
import { ensureCorpus } from '../test/real-code/corpus';

export interface WorkspaceBenchResult {
  folder: string;
  files: number;
  megabytes: number;
  /** initialized sent → the indexing progress ended. */
  indexMs: number;
  rssAfterIndexMB: number;
  /** After opening the dependent file and its first analysis (which summarizes what it imports). */
  rssAfterOpenMB: number;
  /**
   * File-watch event for the changed dependency → the answer to a request sent right behind it: the server has
   * re-read the file, re-indexed it and dropped what depended on it (the dependent's re-analysis is scheduled
   * for a later turn of the event loop).
   */
  updateRoundTripMs: number[];
  /**
   * The same event, measured inside the server (REGLENS_TRACE_INDEX): re-reading and re-indexing the file, dropping
   * what depended on it.
   */
  serverUpdateMs: number[];
  /** The same event → the dependent's diagnostics published again (index update + re-analysis of the dependent). */
  updateToDiagnosticsMs: number[];
  /** In process: WorkspaceIndex.update for one file, every file of the corpus once (after a full index). */
  engineUpdateMs: number[];
}

const DEPENDENT = ['torchvision', 'models', 'vision_transformer.py'];
const DEPENDENCY = ['torchvision', 'ops', 'misc.py'];

function rssMB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

function pythonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...pythonFiles(full));
    else if (entry.name.endsWith('.py')) out.push(full);
  }
  return out;
}

export async function measureWorkspaceIndex(serverJs: string, updates = 20): Promise<WorkspaceBenchResult> {
  const sitePackages = ensureCorpus();
  // A copy, so the benchmark can change a file without touching the cached corpus.
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-bench-ws-'));
  fs.cpSync(sitePackages, folder, { recursive: true });
  const files = pythonFiles(folder);
  const bytes = files.reduce((n, f) => n + fs.statSync(f).size, 0);

  const child = spawn(process.execPath, [serverJs, '--stdio'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, REGLENS_TRACE_INDEX: '1' },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const connection = createMessageConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
  );
  let indexToken: string | number | undefined;
  let indexed: () => void = () => undefined;
  const indexDone = new Promise<void>((resolve) => (indexed = resolve));
  connection.onRequest((method: string) => (method === 'workspace/configuration' ? [{}] : null));
  connection.onNotification('$/progress', (p: { token: string | number; value: { kind: string; title?: string } }) => {
    if (p.value.kind === 'begin' && p.value.title === 'Reglens: indexing the workspace') indexToken = p.token;
    if (p.value.kind === 'end' && p.token === indexToken) indexed();
  });
  const dependentUri = pathToFileURL(path.join(folder, ...DEPENDENT)).href;
  let published: () => void = () => undefined;
  connection.onNotification('textDocument/publishDiagnostics', (p: { uri: string }) => {
    if (p.uri === dependentUri) published();
  });
  const serverUpdateMs: number[] = [];
  connection.onNotification('window/logMessage', (p: { message: string }) => {
    const m = /index updated for 1 file in ([\d.]+) ms/.exec(p.message);
    if (m) serverUpdateMs.push(Number(m[1]));
  });
  connection.listen();
  try {
    await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: {
        workspace: { configuration: true, didChangeWatchedFiles: { dynamicRegistration: true } },
        window: { workDoneProgress: true },
      },
      workspaceFolders: [{ uri: pathToFileURL(folder).href, name: 'site-packages' }],
    });
    const start = performance.now();
    await connection.sendNotification('initialized', {});
    await indexDone;
    const indexMs = performance.now() - start;
    const rssAfterIndexMB = rssMB(child.pid!);

    const nextPublish = () => new Promise<void>((resolve) => (published = resolve));
    let first = nextPublish();
    await connection.sendNotification('textDocument/didOpen', {
      textDocument: {
        uri: dependentUri,
        languageId: 'python',
        version: 1,
        text: fs.readFileSync(path.join(folder, ...DEPENDENT), 'utf8'),
      },
    });
    await first;
    const rssAfterOpenMB = rssMB(child.pid!);

    const dependency = path.join(folder, ...DEPENDENCY);
    const original = fs.readFileSync(dependency, 'utf8');
    const updateToDiagnosticsMs: number[] = [];
    const updateRoundTripMs: number[] = [];
    for (let i = 0; i < updates; i++) {
      fs.writeFileSync(dependency, `${original}\n# edit ${i}\n`);
      first = nextPublish();
      const sent = performance.now();
      await connection.sendNotification('workspace/didChangeWatchedFiles', {
        changes: [{ uri: pathToFileURL(dependency).href, type: 2 }],
      });
      await connection.sendRequest('textDocument/hover', {
        textDocument: { uri: 'untitled:sync' },
        position: { line: 0, character: 0 },
      });
      updateRoundTripMs.push(performance.now() - sent);
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000));
      if ((await Promise.race([first, timeout])) === 'timeout')
        throw new Error(
          `no diagnostics for ${DEPENDENT.join('/')} after a change of ${DEPENDENCY.join('/')}\n${stderr}`,
        );
      updateToDiagnosticsMs.push(performance.now() - sent);
    }
    await Promise.race([connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
    await connection.sendNotification('exit');

    // The engine alone: every file updated once in a complete index.
    await initParser();
    const index = new WorkspaceIndex({ roots: importRoots(folder), read: (f) => fs.readFileSync(f, 'utf8') });
    for (const f of files) index.update(f);
    const engineUpdateMs: number[] = [];
    for (const f of files) {
      const t = performance.now();
      index.update(f);
      engineUpdateMs.push(performance.now() - t);
    }
    return {
      folder: sitePackages,
      files: files.length,
      megabytes: bytes / (1024 * 1024),
      indexMs,
      rssAfterIndexMB,
      rssAfterOpenMB,
      updateRoundTripMs,
      serverUpdateMs,
      updateToDiagnosticsMs,
      engineUpdateMs,
    };
  } finally {
    connection.dispose();
    if (child.exitCode === null) child.kill();
    fs.rmSync(folder, { recursive: true, force: true });
  }
}
