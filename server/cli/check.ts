// `reglens check`: finds the files, reads each one's settings, runs the document pipeline (server/core/document.ts)
// on it, and hands the findings to the chosen output format. Exit status: 0 clean, 1 findings, 2 usage,
// configuration or I/O error.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  checkDocument,
  decodeDocument,
  documentBytes,
  parserLoaded,
  readDocument,
  writeDocument,
  type CheckResult,
} from '../core/document';
import { describeFsError, discover, type FoundFile } from '../core/files';
import { ParseLimit } from '../engine/parser';
import { importRoots, WorkspaceIndex } from '../engine/workspace';
import { rules } from '../rules';
import type { CheckOptions } from './args';
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
    checked: 0,
    skipped: 0,
    failed: 0,
    cwd: io.cwd,
  };
  const say = messages(report, io);
  const { error } = say;

  if (options.stdinFilename !== undefined) return checkStdin(options, options.stdinFilename, io, resolver, report, say);

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
      say.failed(badConfigs.has(settings.configFile) ? null : settings.error);
      badConfigs.add(settings.configFile);
      continue;
    }
    const read = readDocument(file.absolute, file.display);
    if (!('document' in read)) {
      say.unread(read);
      continue;
    }
    const { document } = read;
    let analysis: CheckResult;
    try {
      const workspace = async () => (await indexed()).scopeFor(file.absolute);
      analysis = await checkDocument(document, {
        rules,
        selection: settings.selection,
        fix: options.fix,
        unsafe: options.unsafeFixes,
        workspace,
      });
    } catch (e) {
      say.checkFailed(file.display, e);
      continue;
    }
    if (analysis.applied > 0 && analysis.text !== document.text) {
      const failed = writeDocument(file.absolute, file.display, document, analysis.text);
      if (failed) {
        say.failed(failed);
        continue;
      }
      report.fixed += analysis.applied;
      index?.update(file.absolute);
    }
    report.checked++;
    for (const { finding, cell } of analysis.findings)
      report.diagnostics.push({ path: file.display, absolute: file.absolute, cell, finding });
  }
  if (found.files.length === 0 && found.errors.length === 0)
    say.warn('no Python files found under the given paths (*.py, *.ipynb)');
  sortDiagnostics(report.diagnostics);
  io.stdout(formatReport(options.format, report, { color: io.color }));
  return exitStatus(report, options);
}

/**
 * The index of the checked files, with module names read from the package roots of the current folder and the
 * named paths (the first folder at or above each without an `__init__.py`) and their `src/` folders. An imported
 * module that is not among the checked files is looked for on disk.
 */
async function workspaceIndex(
  paths: readonly string[],
  files: readonly FoundFile[],
  cwd: string,
): Promise<WorkspaceIndex> {
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
  await parserLoaded();
  const index = new WorkspaceIndex({
    roots: [...roots],
    findOnDisk: true,
    read: (file) => {
      const read = readDocument(file, file);
      return 'document' in read ? read.document.text : null;
    },
  });
  for (const file of files) index.update(file.absolute);
  return index;
}

/**
 * What the check says on stderr, counted in the report: every file is checked, not checked (a warning that says
 * why) or failed (an error); `error` alone is for what is not a file (a path that does not exist).
 */
interface Messages {
  error(line: string): void;
  warn(line: string): void;
  /** A file that failed; null: its error was already said (one line per bad pyproject.toml). */
  failed(line: string | null): void;
  /** A file that could not be read (an error) or is not checked (a warning). */
  unread(read: { error: string } | { skip: string }): void;
  /** A check that threw: too deep or slow to parse is a file not checked, anything else a failure. */
  checkFailed(display: string, e: unknown): void;
}

function messages(report: CheckReport, io: CliIo): Messages {
  const error = (line: string) => {
    report.errors.push(line);
    io.stderr(`error: ${line}\n`);
  };
  const warn = (line: string) => io.stderr(`warning: ${line}\n`);
  const failed = (line: string | null) => {
    if (line !== null) error(line);
    report.failed++;
  };
  const skipped = (line: string) => {
    warn(line);
    report.skipped++;
  };
  return {
    error,
    warn,
    failed,
    unread: (read) => ('error' in read ? failed(read.error) : skipped(read.skip)),
    checkFailed: (display, e) =>
      e instanceof ParseLimit
        ? skipped(`${display}: not checked: ${e.message}`)
        : failed(`${display}: internal error while checking: ${(e as Error).message}`),
  };
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
  say: Messages,
): Promise<number> {
  let buffer: Buffer;
  try {
    buffer = io.readStdin();
  } catch (e) {
    say.error(`stdin: ${describeFsError(e, 'cannot be read')}`);
    return 2;
  }
  const absolute = path.resolve(io.cwd, name);
  let output = buffer.toString('utf8');
  const settings = resolver.forFile(absolute);
  const read = decodeDocument(buffer, name);
  if (settings.error !== undefined) say.failed(settings.error);
  else if (!('document' in read)) say.unread(read);
  else {
    try {
      const analysis = await checkDocument(read.document, {
        rules,
        selection: settings.selection,
        fix: options.fix,
        unsafe: options.unsafeFixes,
      });
      report.checked++;
      report.fixed += analysis.applied;
      output = documentBytes(read.document, analysis.text);
      for (const { finding, cell } of analysis.findings)
        report.diagnostics.push({ path: name, absolute, cell, finding });
    } catch (e) {
      say.checkFailed(name, e);
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
