// Part (b): edit → published diagnostics through the language server (dist/server.js over stdio), on a generated
// 5,000-line model file.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { generateModelFile } from './model-file';

export interface LspResult {
  lines: number;
  classes: number;
  /** Spawn → first publishDiagnostics for the opened file. */
  startMs: number;
  initialDiagnostics: number;
  /** didChange sent → publishDiagnostics for that version received, one per edit. */
  editMs: number[];
  /**
   * The same for each keystroke of a line typed character by character at the end of a method (no bracket closed for
   * the typist): those typed while a bracket is open (a syntax error that takes in the lines after it), and the rest.
   */
  typingMs: { openBracket: number[]; other: number[] };
  syncKind: string;
  timeouts: number;
}

interface PublishParams {
  uri: string;
  version?: number;
  diagnostics: unknown[];
}

const EDIT_TIMEOUT_MS = 10_000;

export async function measureLsp(serverJs: string, options: { lines: number; edits: number }): Promise<LspResult> {
  const model = generateModelFile(options.lines);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-bench-'));
  const file = path.join(dir, 'model.py');
  fs.writeFileSync(file, model.text);
  const uri = pathToFileURL(file).href;

  // Resolvers waiting for diagnostics: by version, or (for a server that omits it) the next publish for the file.
  const waiting = new Map<number, (p: PublishParams) => void>();
  let anyWaiter: ((p: PublishParams) => void) | undefined;
  const onPublish = (p: PublishParams) => {
    if (p.uri !== uri) return;
    if (p.version !== undefined && p.version !== null) {
      const resolve = waiting.get(p.version);
      if (resolve) {
        waiting.delete(p.version);
        resolve(p);
        return;
      }
    }
    if (anyWaiter && (p.version === undefined || p.version === null)) {
      const resolve = anyWaiter;
      anyWaiter = undefined;
      resolve(p);
    }
  };
  const diagnosticsFor = (version: number) =>
    new Promise<PublishParams | null>((resolve) => {
      const timer = setTimeout(() => {
        waiting.delete(version);
        anyWaiter = undefined;
        resolve(null);
      }, EDIT_TIMEOUT_MS);
      const done = (p: PublishParams) => {
        clearTimeout(timer);
        resolve(p);
      };
      waiting.set(version, done);
      anyWaiter = done;
    });

  const t0 = performance.now();
  const child = spawn(process.execPath, [serverJs, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const connection = createMessageConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
  );
  connection.onNotification('textDocument/publishDiagnostics', onPublish);
  // workspace/configuration is not declared, but answer it (and anything else) if the server asks anyway.
  connection.onRequest((method: string, params: unknown) => {
    if (method === 'workspace/configuration') return ((params as { items?: unknown[] })?.items ?? []).map(() => ({}));
    return null;
  });
  connection.onNotification(() => undefined);
  connection.listen();

  try {
    const init = (await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(dir).href,
      workspaceFolders: [{ uri: pathToFileURL(dir).href, name: 'bench' }],
      capabilities: {
        textDocument: {
          synchronization: { dynamicRegistration: false, didSave: false },
          publishDiagnostics: { versionSupport: true, relatedInformation: true },
        },
        workspace: { workspaceFolders: true },
      },
    })) as { capabilities?: { textDocumentSync?: number | { change?: number } } };
    const sync = init.capabilities?.textDocumentSync;
    const change = typeof sync === 'number' ? sync : (sync?.change ?? 0);
    const incremental = change === 2;
    await connection.sendNotification('initialized', {});

    let version = 1;
    const first = diagnosticsFor(version);
    await connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'python', version, text: model.text },
    });
    const opened = await first;
    const startMs = performance.now() - t0;
    if (!opened) throw new Error(`no diagnostics for the opened file within ${EDIT_TIMEOUT_MS} ms`);

    // Insert `_` after a local variable name inside forward(), then delete it; each class in turn, in a stride
    // that jumps around the file.
    let text = model.text;
    const lineStarts = (() => {
      const starts = [0];
      for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
      return starts;
    })();
    const editMs: number[] = [];
    let timeouts = 0;
    const stride = 37;
    for (let i = 0; i < options.edits; i++) {
      const point = model.editPoints[(Math.floor(i / 2) * stride) % model.editPoints.length];
      const insert = i % 2 === 0;
      const range = insert
        ? { start: point, end: point }
        : { start: point, end: { line: point.line, character: point.character + 1 } };
      const offset = lineStarts[point.line] + point.character;
      text = insert ? `${text.slice(0, offset)}_${text.slice(offset)}` : text.slice(0, offset) + text.slice(offset + 1);
      version++;
      const contentChanges = incremental ? [{ range, text: insert ? '_' : '' }] : [{ text }];
      const published = diagnosticsFor(version);
      const start = performance.now();
      await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges });
      const result = await published;
      if (!result) {
        timeouts++;
        break;
      }
      editMs.push(performance.now() - start);
    }
    // A line typed into forward() of a few classes, keystroke by keystroke, then deleted (unmeasured).
    const typingMs = { openBracket: [] as number[], other: [] as number[] };
    for (let k = 0; k < TYPED_IN_CLASSES && timeouts === 0; k++) {
      const point = model.editPoints[(k * 53) % model.editPoints.length];
      const lineStart = lineStartOf(text, point.line);
      const at = { line: point.line, character: text.indexOf('\n', lineStart) - lineStart };
      let line = at.line;
      let character = at.character;
      let depth = 0;
      for (const key of TYPED_LINE) {
        const position = { line, character };
        version++;
        const published = diagnosticsFor(version);
        const start = performance.now();
        await connection.sendNotification('textDocument/didChange', {
          textDocument: { uri, version },
          contentChanges: [{ range: { start: position, end: position }, text: key }],
        });
        const result = await published;
        if (!result) {
          timeouts++;
          break;
        }
        (depth > 0 || key === '(' || key === '[' ? typingMs.openBracket : typingMs.other).push(
          performance.now() - start,
        );
        if (key === '(' || key === '[') depth++;
        if (key === ')' || key === ']') depth--;
        if (key === '\n') {
          line++;
          character = 0;
        } else character++;
      }
      version++;
      const cleared = diagnosticsFor(version);
      await connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version },
        contentChanges: [{ range: { start: at, end: { line, character } }, text: '' }],
      });
      if (!(await cleared)) timeouts++;
    }
    return {
      typingMs,
      lines: model.text.split('\n').length,
      classes: model.editPoints.length,
      startMs,
      initialDiagnostics: opened.diagnostics.length,
      editMs,
      syncKind: incremental ? 'incremental' : 'full (server does not accept incremental changes)',
      timeouts,
    };
  } catch (e) {
    throw new Error(`${(e as Error).message}${stderr ? `\nserver stderr:\n${stderr.slice(-2000)}` : ''}`);
  } finally {
    try {
      await Promise.race([connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 1000))]);
      await connection.sendNotification('exit');
    } catch {
      // The server may already be gone.
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 1000))]);
    if (child.exitCode === null) child.kill();
    connection.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** What the typing part types, one character per change. */
const TYPED_LINE = '\n        y = torch.cat([self.drop(x), x], dim=1)';
const TYPED_IN_CLASSES = 5;

function lineStartOf(text: string, line: number): number {
  let offset = 0;
  for (let i = 0; i < line; i++) offset = text.indexOf('\n', offset) + 1;
  return offset;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}
