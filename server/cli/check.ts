// `reglens check`: reads the files, runs the engine (prefilter, parse, analyse, and fix with --fix), and hands the
// findings to the chosen output format. Exit status: 0 clean, 1 findings, 2 usage, configuration or I/O error.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fixText, lintText, mayHaveFindings, MAX_FILE_BYTES } from '../engine/analyze';
import type { RuleSelection } from '../engine/config';
import { initParser, ParseLimit } from '../engine/parser';
import type { Finding } from '../engine/types';
import type { CheckOptions } from './args';
import { describeFsError, discover } from './files';
import { formatReport } from './formats';
import { loadExplicitConfig, SettingsResolver } from './settings';

/** One finding of one file, with the path it is reported under. */
export interface Diagnostic {
  /** As given on the command line, joined with the path inside a named folder. */
  path: string;
  absolute: string;
  finding: Finding;
}

/** Everything an output format needs. */
export interface CheckReport {
  /** Sorted by path, then position, then code. */
  diagnostics: Diagnostic[];
  /** Fixes applied with --fix. */
  fixed: number;
  fixMode: boolean;
  unsafeFixes: boolean;
  /** Per-file and configuration errors, one line each; any makes the exit status 2. */
  errors: string[];
  cwd: string;
}

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

function decode(buffer: Buffer, display: string): Decoded {
  if (buffer.length > MAX_FILE_BYTES) return { skip: tooLarge(display, buffer.length) };
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
    if (size > MAX_FILE_BYTES) return { skip: tooLarge(display, size) };
    return decode(fs.readFileSync(absolute), display);
  } catch (e) {
    return { error: `${display}: ${describeFsError(e, 'cannot be read')}` };
  }
}

function tooLarge(display: string, bytes: number): string {
  return `${display}: not checked: larger than the ${MAX_FILE_BYTES / (1024 * 1024)} MB limit (${bytes.toLocaleString('en-US')} bytes)`;
}

interface Analysis {
  findings: Finding[];
  text: string;
  applied: number;
}

let parserReady: Promise<void> | undefined;

/** The engine on one text: a file no enabled rule's triggers mention is not parsed (nor is the parser loaded). */
async function analyse(text: string, selection: RuleSelection, options: CheckOptions): Promise<Analysis> {
  if (!mayHaveFindings(text, selection)) return { findings: [], text, applied: 0 };
  await (parserReady ??= initParser());
  if (!options.fix) return { findings: lintText(text, selection), text, applied: 0 };
  const result = fixText(text, selection, { unsafe: options.unsafeFixes });
  let applied = 0;
  for (const n of result.applied.values()) applied += n;
  return { findings: result.remaining, text: result.text, applied };
}

function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort(
    (a, b) =>
      comparePaths(a.path, b.path) ||
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

  const found = discover(options.paths.length > 0 ? options.paths : ['.'], io.cwd);
  found.errors.forEach(error);
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
      analysis = await analyse(source.text, settings.selection, options);
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
    }
    for (const finding of analysis.findings) report.diagnostics.push({ path: file.display, absolute: file.absolute, finding });
  }
  if (found.files.length === 0 && found.errors.length === 0) warn('no Python files found under the given paths');
  sortDiagnostics(report.diagnostics);
  io.stdout(formatReport(options.format, report, { color: io.color }));
  return exitStatus(report, options);
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
      const analysis = await analyse(source.text, settings.selection, options);
        report.fixed += analysis.applied;
      output = (source.bom ? BOM : '') + analysis.text;
      for (const finding of analysis.findings) report.diagnostics.push({ path: name, absolute, finding });
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
