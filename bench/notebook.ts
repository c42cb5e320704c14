// Part (f): re-analysis of a notebook after a one-cell edit, through the language server (dist/server.js over
// stdio, LSP notebook sync), beside the same code opened as one .py file and edited at the same place. The notebook
// is the generated model file cut into cells, one class per cell. Each edit adds or removes
// `, training=self.training` in a `F.dropout` call of the middle cell, so every edit changes that cell's findings
// (RG006) and is answered by a publish: edit → publish is the re-analysis time (notebook: cell change → joined
// text rebuilt → one incremental edit → analysis → per-cell publish).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { generateModelFile } from './model-file';

export interface NotebookBenchResult {
  cells: number;
  lines: number;
  /** didChange (one cell) → the cell's diagnostics published, per edit. */
  notebookMs: number[];
  /** The same edit to the same code as one .py file. */
  fileMs: number[];
}

/** `cells` code cells: the imports, then one generated class each. */
export function generateNotebookCells(cells: number): string[] {
  const model = generateModelFile(cells * 24);
  const [imports, ...classes] = model.text.split(/\n(?=class )/);
  return [`${imports}\n`, ...classes.slice(0, cells - 1).map((c) => c.replace(/\n*$/, '\n'))];
}

export async function measureNotebook(
  serverJs: string,
  options: { cells: number; edits: number },
): Promise<NotebookBenchResult> {
  const cells = generateNotebookCells(options.cells);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-bench-nb-'));
  const notebookUri = pathToFileURL(path.join(dir, 'model.ipynb')).href;
  const fileUri = pathToFileURL(path.join(dir, 'model.py')).href;
  const cellUris = cells.map((_, i) => `vscode-notebook-cell:${path.join(dir, 'model.ipynb')}#c${i}`);
  const child = spawn(process.execPath, [serverJs, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const connection = createMessageConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
  );
  connection.onRequest((method: string, params: unknown) =>
    method === 'workspace/configuration' ? ((params as { items?: unknown[] })?.items ?? []).map(() => ({})) : null,
  );
  let onPublish: ((uri: string) => void) | undefined;
  connection.onNotification('textDocument/publishDiagnostics', (p: { uri: string }) => onPublish?.(p.uri));
  connection.listen();
  const published = (uri: string) => new Promise<void>((resolve) => (onPublish = (u) => u === uri && resolve()));
  try {
    await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: { notebookDocument: { synchronization: {} } },
      workspaceFolders: null,
    });
    await connection.sendNotification('initialized', {});
    await connection.sendNotification('notebookDocument/didOpen', {
      notebookDocument: {
        uri: notebookUri,
        notebookType: 'jupyter-notebook',
        version: 1,
        cells: cellUris.map((document) => ({ kind: 2, document })),
      },
      cellTextDocuments: cells.map((text, i) => ({ uri: cellUris[i], languageId: 'python', version: 1, text })),
    });
    const joined = cells.join('\n');
    await connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri: fileUri, languageId: 'python', version: 1, text: joined },
    });
    // The edited cell: the first from the middle on with `F.dropout(h, self.p)`.
    const NEEDLE = 'F.dropout(h, self.p)';
    let target = Math.floor(cells.length / 2);
    while (!cells[target].includes(NEEDLE)) target++;
    const cellLine = cells[target].split('\n').findIndex((l) => l.includes(NEEDLE));
    const character = cells[target].split('\n')[cellLine].indexOf(NEEDLE) + NEEDLE.length - 1;
    const fileLine = cells.slice(0, target).reduce((n, c) => n + c.split('\n').length, 0) + cellLine;
    // Settle: configuration answered and both analysed once.
    await new Promise((r) => setTimeout(r, 1000));
    const FLAG = ', training=self.training';
    const notebookMs: number[] = [];
    const fileMs: number[] = [];
    for (let edit = 0; edit < options.edits; edit++) {
      const change = (line: number) =>
        edit % 2 === 0
          ? { range: { start: { line, character }, end: { line, character } }, text: FLAG }
          : { range: { start: { line, character }, end: { line, character: character + FLAG.length } }, text: '' };
      let done = published(cellUris[target]);
      let start = performance.now();
      void connection.sendNotification('notebookDocument/didChange', {
        notebookDocument: { uri: notebookUri, version: edit + 2 },
        change: {
          cells: {
            textContent: [{ document: { uri: cellUris[target], version: edit + 2 }, changes: [change(cellLine)] }],
          },
        },
      });
      await done;
      notebookMs.push(performance.now() - start);
      done = published(fileUri);
      start = performance.now();
      void connection.sendNotification('textDocument/didChange', {
        textDocument: { uri: fileUri, version: edit + 2 },
        contentChanges: [change(fileLine)],
      });
      await done;
      fileMs.push(performance.now() - start);
    }
    return { cells: cells.length, lines: joined.split('\n').length, notebookMs, fileMs };
  } finally {
    connection.dispose();
    child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
