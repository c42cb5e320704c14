// `reglens check`: reads the files, runs the engine (prefilter, parse, analyse, and fix with --fix), and hands the
// findings to the chosen output format. Exit status: 0 clean, 1 findings, 2 usage, configuration or I/O error.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fixText, lintText, mayHaveFindings, MAX_FILE_BYTES } from '../engine/analyze';
import type { RuleSelection } from '../engine/config';
import { findingsInCells, fixNotebook, NotebookText, parseNotebook, serializeNotebook, type NotebookFile } from '../engine/notebook';
import { initParser, ParseLimit } from '../engine/parser';
import type { Finding } from '../engine/types';
import type { CheckOptions } from './args';
import type { WorkspaceScope } from '../engine/scope';
import { importRoots, WorkspaceIndex } from '../engine/workspace';
import { describeFsError, discover, type FoundFile } from './files';
import { formatReport } from './formats';
import type { CheckReport, Diagnostic } from './report';
import { loadExplicitConfig, SettingsResolver } from './settings';

export interface CliIo {
  cwd: string;
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): Buffer;
  /** Colour the text report (stdout is a terminal and NO_COLOR is unset). */
  color: boolean;
}

/** Bytes inspected for a NUL to decide that a file is binary, as git does. */
const BINARY_SNIFF_BYTES = 8192;
const BOM = '\ufeff';

type Decoded = { text: string; bom: boolean; skip?: undefined; error?: undefined } | { skip: string; error?: undefined };
type Source = Decoded | { error: string; skip?: undefined };

/**
 * A notebook's file is mostly outputs (images, tables): the size limit applies to its joined code cells, checked
 * once it is parsed; the file itself may be this large.
 */
const MAX_NOTEBOOK_FILE_BYTES = 256 * 1024 * 1024;

function sizeLimit(display: string): number {
  return isNotebookPath(display) ? MAX_NOTEBOOK_FILE_BYTES : MAX_FILE_BYTES;
}

function decode(buffer: Buffer, display: string): Decoded {
  if (buffer.length > sizeLimit(display)) return { skip: tooLarge(display, buffer.length, sizeLimit(display)) };
  if (buffer.subarray(0, BINARY_SNIFF_BYTES).includes(0)) return { skip: `${display}: not checked: binary file (a NUL byte in the first 8 KB)` };
  const text = buffer.toString('utf8');
  return text.startsWith(BOM) ? { text: text.slice(1), bom: true } : { text, bom: false };
}

function readSource(absolute: string, display: string): Source {
  try {
    const stat = fs.statSync(absolute);
    // A FIFO or device named on the command line would block the read forever (or never end).
    if (!stat.isFile()) return { error: `${display}: not a regular file; not read` };
    const size = stat.size;
    // Do not even read a file that is too large.
    if (size > sizeLimit(display)) return { skip: tooLarge(display, size, sizeLimit(display)) };
    return decode(fs.readFileSync(absolute), display);
  } catch (e) {
    return { error: `${display}: ${describeFsError(e, 'cannot be read')}` };
  }
}

function tooLarge(display: string, bytes: number, limit = MAX_FILE_BYTES, what = '', verb = 'checked'): string {
  return `${display}: not ${verb}: ${what}larger than the ${limit / (1024 * 1024)} MB limit (${bytes.toLocaleString('en-US')} bytes)`;
}

interface Analysis {
  findings: { finding: Finding; cell?: number }[];
  text: string;
  applied: number;
}

export function isNotebookPath(file: string): boolean {
  return /\.ipynb$/i.test(file);
}

let parserReady: Promise<void> | undefined;

/** The engine on one text: a file no enabled rule's triggers mention is not parsed (nor is the parser loaded). */
async function analyse(text: string, selection: RuleSelection, options: CheckOptions, scope: () => Promise<WorkspaceScope | null> = async () => null): Promise<Analysis> {
  if (!mayHaveFindings(text, selection)) return { findings: [], text, applied: 0 };
  await (parserReady ??= initParser());
  const workspace = await scope();
  if (!options.fix) return { findings: lintText(text, selection, workspace).map((finding) => ({ finding })), text, applied: 0 };
  const result = fixText(text, selection, { unsafe: options.unsafeFixes, workspace });
  return { findings: result.remaining.map((finding) => ({ finding })), text: result.text, applied: countApplied(result.applied) };
}

function countApplied(applied: Map<string, number>): number {
  let n = 0;
  for (const count of applied.values()) n += count;
  return n;
}

/**
 * A notebook: its code cells are analysed as one text, in order; findings are reported per cell. With --fix the
 * fixed cells are written back as nbformat lays them out (the file's indent, sources as lists of lines).
 */
async function analyseNotebook(
  text: string,
  selection: RuleSelection,
  options: CheckOptions,
  notebook: NotebookFile,
  scope: () => Promise<WorkspaceScope | null> = async () => null,
): Promise<Analysis> {
  const joined = new NotebookText(notebook.cells);
  if (!mayHaveFindings(joined.text, selection)) return { findings: [], text, applied: 0 };
  await (parserReady ??= initParser());
  const workspace = await scope();
  const inCells = (nb: NotebookText, findings: Finding[]) => findingsInCells(nb, findings).map((f) => ({ finding: f.finding, cell: f.cell.index }));
  if (!options.fix) return { findings: inCells(joined, lintText(joined.text, selection, workspace)), text, applied: 0 };
  const result = fixNotebook(notebook.cells, selection, { unsafe: options.unsafeFixes, workspace });
  const applied = countApplied(result.applied);
  const changed = new Map<number, string>();
  notebook.cells.forEach((cell, i) => {
    if (result.texts[i] !== cell.text) changed.set(cell.index, result.texts[i]);
  });
  return { findings: inCells(result.notebook, result.remaining), text: changed.size > 0 ? serializeNotebook(notebook, changed) : text, applied };
}

/** Reads a notebook's JSON; `error` says why it is not one, `skip` why it is not checked. */
export function readNotebook(text: string, display: string, verb: 'checked' | 'profiled' = 'checked'): { notebook: NotebookFile } | { error: string } | { skip: string } {
  let notebook: NotebookFile;
  try {
    notebook = parseNotebook(text);
  } catch (e) {
    return { error: `${display}: ${(e as Error).message}` };
  }
  if (notebook.language !== null && notebook.language !== 'python') return { skip: `${display}: not ${verb}: a ${notebook.language} notebook, not Python` };
  const codeBytes = notebook.cells.reduce((n, c) => n + Buffer.byteLength(c.text, 'utf8') + 1, 0);
  if (codeBytes > MAX_FILE_BYTES) return { skip: tooLarge(display, codeBytes, MAX_FILE_BYTES, 'its code cells are ', verb) };
  return { notebook };
}

function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort(
    (a, b) =>
      comparePaths(a.path, b.path) ||
      (a.cell ?? -1) - (b.cell ?? -1) ||
      a.finding.range.start.line - b.finding.range.start.line ||
      a.finding.range.start.character - b.finding.range.start.character ||
      comparePaths(a.finding.code, b.finding.code),
  );
}

export async function runCheck(options: CheckOptions, io: CliIo): Promise<number> {
  let explicit = null;
  if (options.config !== undefined) {
    const loaded = loadExplicitConfig(options.config, io.cwd);
    if (loaded.error !== undefined) {
      io.stderr(`error: ${loaded.error}\n`);
      return 2;
    }
    explicit = loaded.config;
  }
  const resolver = new SettingsResolver({ select: options.select, ignore: options.ignore }, explicit);
  const report: CheckReport = {
    diagnostics: [],
    fixed: 0,
    fixMode: options.fix,
    unsafeFixes: options.unsafeFixes,
    errors: [],
    cwd: io.cwd,
  };
  const error = (line: string) => {
    report.errors.push(line);
    io.stderr(`error: ${line}\n`);
  };
  const warn = (line: string) => io.stderr(`warning: ${line}\n`);

  if (options.stdinFilename !== undefined) return checkStdin(options, options.stdinFilename, io, resolver, report, error, warn);

  const paths = options.paths.length > 0 ? options.paths : ['.'];
  const found = discover(paths, io.cwd, { excluded: (absolute) => resolver.excluded(absolute) });
  found.errors.forEach(error);
  // Classes imported from other files resolve through the same index the editor builds (server/engine/workspace.ts),
  // built when the first file that may have findings needs it: a tree without model code is never parsed.
  let index: WorkspaceIndex | undefined;
  const indexed = async () => (index ??= await workspaceIndex(paths, found.files, io.cwd));
  const badConfigs = new Set<string>();
  for (const file of found.files) {
    const settings = resolver.forFile(file.absolute);
    if (settings.error !== undefined) {
      // One line per bad pyproject.toml, not one per file it governs; those files are not checked.
      if (!badConfigs.has(settings.configFile)) {
        badConfigs.add(settings.configFile);
        error(settings.error);
      }
      continue;
    }
    const source = readSource(file.absolute, file.display);
    if (source.error !== undefined) {
      error(source.error);
      continue;
    }
    if (source.skip !== undefined) {
      warn(source.skip);
      continue;
    }
    let analysis: Analysis;
    try {
      const scope = async () => (await indexed()).scopeFor(file.absolute);
      if (isNotebookPath(file.absolute)) {
        const read = readNotebook(source.text, file.display);
        if ('error' in read) {
          error(read.error);
          continue;
        }
        if ('skip' in read) {
          warn(read.skip);
          continue;
        }
        analysis = await analyseNotebook(source.text, settings.selection, options, read.notebook, scope);
      } else analysis = await analyse(source.text, settings.selection, options, scope);
    } catch (e) {
      if (e instanceof ParseLimit) warn(`${file.display}: not checked: ${e.message}`);
      else error(`${file.display}: internal error while checking: ${(e as Error).message}`);
      continue;
    }
    if (analysis.applied > 0 && analysis.text !== source.text) {
      try {
        fs.writeFileSync(file.absolute, (source.bom ? BOM : '') + analysis.text);
      } catch (e) {
        error(`${file.display}: fixes could not be written: ${describeFsError(e, 'write failed')}`);
        continue;
      }
      report.fixed += analysis.applied;
      index?.update(file.absolute);
    }
    for (const { finding, cell } of analysis.findings) report.diagnostics.push({ path: file.display, absolute: file.absolute, cell, finding });
  }
  if (found.files.length === 0 && found.errors.length === 0) warn('no Python files found under the given paths (*.py, *.ipynb)');
  sortDiagnostics(report.diagnostics);
  io.stdout(formatReport(options.format, report, { color: io.color }));
  return exitStatus(report, options);
}

/**
 * The index of the checked files, with module names read from the package roots of the current folder and the
 * named paths (the first folder at or above each without an `__init__.py`) and their `src/` folders. An imported
 * module that is not among the checked files is looked for on disk.
 */
async function workspaceIndex(paths: readonly string[], files: readonly FoundFile[], cwd: string): Promise<WorkspaceIndex> {
  const roots = new Set<string>();
  for (const given of ['.', ...paths]) {
    let dir = path.resolve(cwd, given);
    try {
      if (!fs.statSync(dir).isDirectory()) dir = path.dirname(dir);
    } catch {
      continue;
    }
    // Inside a package, modules are named from the folder that holds its top package.
    while (fs.existsSync(path.join(dir, '__init__.py')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    for (const root of importRoots(dir)) roots.add(root);
  }
  await (parserReady ??= initParser());
  const index = new WorkspaceIndex({
    roots: [...roots],
    findOnDisk: true,
    read: (file) => {
      const source = readSource(file, file);
      return 'text' in source && source.text !== undefined ? source.text : null;
    },
  });
  for (const file of files) index.update(file.absolute);
  return index;
}

function exitStatus(report: CheckReport, options: CheckOptions): number {
  if (report.errors.length > 0) return 2;
  return report.diagnostics.length > 0 && !options.exitZero ? 1 : 0;
}

/**
 * `--stdin-filename NAME`: the source comes from stdin and is reported as NAME; NAME also picks the configuration.
 * With --fix the fixed source goes to stdout (unchanged when nothing applies) and the report to stderr.
 */
async function checkStdin(
  options: CheckOptions,
  name: string,
  io: CliIo,
  resolver: SettingsResolver,
  report: CheckReport,
  error: (line: string) => void,
  warn: (line: string) => void,
): Promise<number> {
  let buffer: Buffer;
  try {
    buffer = io.readStdin();
  } catch (e) {
    error(`stdin: ${describeFsError(e, 'cannot be read')}`);
    return 2;
  }
  const absolute = path.resolve(io.cwd, name);
  const source = decode(buffer, name);
  let output = buffer.toString('utf8');
  const settings = resolver.forFile(absolute);
  if (settings.error !== undefined) error(settings.error);
  else if (source.skip !== undefined) warn(source.skip);
  else {
    try {
      let analysis: Analysis | null = null;
      if (isNotebookPath(name)) {
        const read = readNotebook(source.text, name);
        if ('error' in read) error(read.error);
        else if ('skip' in read) warn(read.skip);
        else analysis = await analyseNotebook(source.text, settings.selection, options, read.notebook);
      } else analysis = await analyse(source.text, settings.selection, options);
      if (analysis) {
        report.fixed += analysis.applied;
        output = (source.bom ? BOM : '') + analysis.text;
        for (const { finding, cell } of analysis.findings) report.diagnostics.push({ path: name, absolute, cell, finding });
      }
    } catch (e) {
      if (e instanceof ParseLimit) warn(`${name}: not checked: ${e.message}`);
      else error(`${name}: internal error while checking: ${(e as Error).message}`);
    }
  }
  sortDiagnostics(report.diagnostics);
  if (options.fix) {
    io.stdout(output);
    io.stderr(formatReport(options.format, report, { color: false }));
  } else {
    io.stdout(formatReport(options.format, report, { color: io.color }));
  }
  return exitStatus(report, options);
}
