// `reglens check`: finds the files, reads each one's settings, runs the document pipeline (server/core/document.ts)
// on each, on worker threads (check-pool.ts) or on the main thread, and hands the findings to the chosen output
// format, in the same order and the same words whichever thread checked what. Exit status: 0 clean, 1 findings,
// 2 usage, configuration or I/O error.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkDocument, decodeDocument, documentBytes } from '../core/document';
import { describeFsError, discover, type FoundFile } from '../core/files';
import type { RuleSelection } from '../engine/config';
import { rules } from '../rules';
import type { CheckOptions } from './args';
import { cacheDirectory, CheckCache, cacheTurnedOff, engineFingerprint } from './check-cache';
import { CheckWorkspace, checkFile, failedCheck, indexRoots, unreadOutcome, type FileOutcome } from './check-file';
import { checkOnWorkers } from './check-pool';
import type { WorkFile } from './check-protocol';
import { formatReport } from './formats';
import { diffSummary, directivesAdded, formatDiff } from './formats/diff';
import { type CheckReport, type Diagnostic, isFixable } from './report';
import { loadExplicitConfig, SettingsResolver } from './settings';
import { showFiles, showSettings } from './show';
import { withExcerpts } from './source-excerpt';

export interface CliIo {
  cwd: string;
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): Buffer;
  /** Colour the text report (stdout is a terminal and NO_COLOR is unset). */
  color: boolean;
  /** The check worker bundle (dist/check-worker.js); without it, every file is checked on the main thread. */
  workerScript?: string;
  /** REGLENS_CACHE_DIR and REGLENS_NO_CACHE are read from here (default: this process's environment). */
  env?: NodeJS.ProcessEnv;
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
  const flags = {
    select: options.select,
    ignore: options.ignore,
    fixable: options.fixable,
    unfixable: options.unfixable,
  };
  const exclusions =
    options.exclude || options.extendExclude
      ? { exclude: options.exclude, extendExclude: options.extendExclude, base: io.cwd }
      : null;
  const resolver = new SettingsResolver(flags, explicit, exclusions);
  const report: CheckReport = {
    diagnostics: [],
    fixed: 0,
    fixedFiles: [],
    fixMode: options.fix,
    fixOnly: options.fixOnly,
    showFixes: options.showFixes,
    directives: { added: 0, files: 0 },
    changes: [],
    unsafeFixes: options.unsafeFixes,
    errors: [],
    checked: 0,
    skipped: 0,
    failed: 0,
    excluded: [],
    cwd: io.cwd,
  };
  const say = messages(report, io, options);

  if (options.stdinFilename !== undefined) return checkStdin(options, options.stdinFilename, io, resolver, report, say);

  const named = options.paths.length > 0 ? options.paths : ['.'];
  // --force-exclude: a path named on the command line is left out as the walk would leave it out.
  const paths = named.filter((given) => {
    const left = options.forceExclude && resolver.excluded(path.resolve(io.cwd, given));
    if (left) report.excluded.push(given);
    return !left;
  });
  if (report.excluded.length > 0) say.note(excludedNote(report.excluded));
  let walkedPast = 0;
  const found = discover(paths, io.cwd, {
    excluded: (absolute) => {
      const out = resolver.excluded(absolute);
      if (out) walkedPast++;
      return out;
    },
  });
  found.errors.forEach(say.error);
  if (found.files.length === 0 && found.errors.length === 0 && report.excluded.length === 0) {
    const why =
      walkedPast > 0
        ? `; ${walkedPast === 1 ? 'one file or folder is' : `${walkedPast} files or folders are`} excluded`
        : '';
    say.warn(`no Python files found under the given paths (*.py, *.ipynb)${why}`);
  }
  if (options.show) return show(options, found, resolver, io);
  // Every file's outcome is reported in the order the files were found, whichever thread checked it and when.
  const settle = inOrder(found.files.length, (i, outcome) => say.record(found.files[i], outcome));
  const toCheck: { id: number; selection: RuleSelection }[] = [];
  const badConfigs = new Set<string>();
  // The main thread's workspace index: the cache resolves module names through it, and it checks what no worker does.
  const workspace = new CheckWorkspace(
    () => indexRoots(paths, io.cwd),
    found.files.map((f) => f.absolute),
  );
  const cache = openCache(options, io, workspace, found.files.length);
  // --fix, --diff and --add-noqa take from the cache only the files they would leave as they are; a run that writes
  // files asks for each in order, once the files before it have been written.
  const usable = options.fix || options.addNoqa ? (o: FileOutcome) => !wouldChange(o, options) : undefined;
  const writes = writesFiles(options);
  found.files.forEach((file, id) => {
    const settings = resolver.forFile(file.absolute);
    if (settings.error === undefined) {
      const reused = writes ? undefined : cache?.reuse(file.absolute, settings.selection, usable);
      if (reused) settle(id, reused);
      else toCheck.push({ id, selection: settings.selection });
      return;
    }
    // One line per bad pyproject.toml, not one per file it governs; those files are not checked.
    settle(id, { kind: 'failed', error: badConfigs.has(settings.configFile) ? null : settings.error });
    badConfigs.add(settings.configFile);
  });
  const workers = workerCount(options, io, toCheck.length);
  let inProcess = toCheck;
  if (workers > 1 && io.workerScript) {
    const left = await checkOnWorkers({
      script: io.workerScript,
      workers,
      data: {
        flags,
        explicit,
        unsafeFixes: options.unsafeFixes,
        excerpts: options.format === 'full',
        diff: options.diff,
        roots: indexRoots(paths, io.cwd),
        indexFiles: found.files.map((f) => f.absolute),
        cached: cache !== null,
      },
      // The pool numbers the files it checks by their place in toCheck.
      checkFiles: toCheck.map(({ id }, i): WorkFile => {
        const file = found.files[id];
        return { id: i, display: file.display, absolute: file.absolute, bytes: fileBytes(file.absolute) };
      }),
      onOutcome: (i, outcome) => {
        cache?.store(found.files[toCheck[i].id].absolute, toCheck[i].selection, outcome);
        settle(toCheck[i].id, outcome);
      },
      trace: process.env.REGLENS_TRACE_CHECK ? (line) => io.stderr(`${line}\n`) : undefined,
    });
    if (left.unchecked.length > 0)
      say.warn(`${left.reason}; the main thread checks the ${left.unchecked.length} files left`);
    inProcess = left.unchecked.map(({ id }) => toCheck[id]);
  }
  const checker = new InProcessChecker(workspace, options, cache);
  for (const { id, selection } of inProcess) {
    const file = found.files[id].absolute;
    const reused = writes ? cache?.reuse(file, selection, usable) : undefined;
    const outcome = reused ?? (await checker.check(found.files[id], selection));
    if (!reused) cache?.store(file, selection, outcome);
    settle(id, outcome);
  }
  if (cache) {
    if (process.env.REGLENS_TRACE_CHECK) io.stderr(`cache: ${cache.reused} of ${found.files.length} files reused\n`);
    const failed = cache.save();
    if (failed && !options.silent) io.stderr(`warning: the cache in ${cache.dir} could not be written: ${failed}\n`);
  }
  sortDiagnostics(report.diagnostics);
  if (options.diff) return printDiff(report, options, io);
  if (options.addNoqa && !options.quiet && !options.silent) io.stderr(directivesAdded(report));
  return writeReport(report, options, io, io.stdout);
}

/** `--show-files` / `--show-settings`: exit status 2 when a path could not be read, or no file has settings to show. */
function show(
  options: CheckOptions,
  { files, errors }: { files: readonly FoundFile[]; errors: readonly string[] },
  resolver: SettingsResolver,
  io: CliIo,
): number {
  if (options.show === 'files') {
    io.stdout(showFiles(files));
    return errors.length > 0 ? 2 : 0;
  }
  if (files.length === 0) {
    io.stderr('error: --show-settings needs a Python file (*.py, *.ipynb); none was found under the given paths\n');
    return 2;
  }
  io.stdout(showSettings(files[0], resolver, options, io.cwd, io.env ?? process.env));
  return errors.length > 0 ? 2 : 0;
}

/** "2 paths named on the command line are excluded…", with the first few of them. */
function excludedNote(excluded: readonly string[]): string {
  const shown = excluded.slice(0, 3).join(', ') + (excluded.length > 3 ? `, and ${excluded.length - 3} more` : '');
  const are = excluded.length === 1 ? 'path named on the command line is' : 'paths named on the command line are';
  return `${excluded.length} ${are} excluded and not checked (--force-exclude): ${shown}`;
}

/**
 * The report in the chosen format, to `--output-file` (uncoloured) or to `write`; nothing under --silent. Returns the
 * exit status: 2 when the output file cannot be written.
 */
function writeReport(report: CheckReport, options: CheckOptions, io: CliIo, write: (text: string) => void): number {
  if (options.silent) return exitStatus(report, options);
  const format = { statistics: options.statistics, quiet: options.quiet };
  if (options.outputFile === undefined) {
    write(formatReport(options.format, report, { ...format, color: io.color }));
    return exitStatus(report, options);
  }
  const target = path.resolve(io.cwd, options.outputFile);
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, formatReport(options.format, report, { ...format, color: false }));
  } catch (e) {
    io.stderr(`error: ${options.outputFile}: ${describeFsError(e, 'cannot be written')}\n`);
    return 2;
  }
  return exitStatus(report, options);
}

/**
 * How many worker threads check the files: --jobs, else one per core, but at most one per file, and none (the main
 * thread checks) for --fix and --add-noqa, whose written files are indexed again before the next file is checked,
 * and for a run too small to repay starting them. --diff writes nothing: its files are checked on workers.
 */
function workerCount(options: CheckOptions, io: CliIo, files: number): number {
  if (writesFiles(options) || !io.workerScript) return 1;
  const jobs = options.jobs ?? Math.min(os.availableParallelism(), Math.floor(files / FILES_PER_WORKER));
  return Math.max(1, Math.min(jobs, files));
}

/**
 * Files per worker below which a worker is not worth starting unless --jobs asks for it. A worker takes 100 to 250
 * ms to start (its bundle, the parser's wasm) and checks its first files slowly while its JIT warms up, which is the
 * time of a dozen model files or more: a repository of 13 files with one large model file (CompVis latent
 * diffusion) took as long on 2 workers as on the main thread.
 */
const FILES_PER_WORKER = 16;

function fileBytes(absolute: string): number {
  try {
    return fs.statSync(absolute).size;
  } catch {
    return 0;
  }
}

/** Calls `report` for ids 0, 1, 2… in order, as soon as each one and all before it have an outcome. */
function inOrder(count: number, report: (id: number, outcome: FileOutcome) => void) {
  const waiting = new Map<number, FileOutcome>();
  let next = 0;
  return (id: number, outcome: FileOutcome) => {
    waiting.set(id, outcome);
    while (next < count && waiting.has(next)) {
      report(next, waiting.get(next)!);
      waiting.delete(next++);
    }
  };
}

/**
 * Checks files on the main thread. Classes imported from other files resolve through the same index the editor
 * builds (server/engine/workspace.ts), made when the first file that may have findings needs it (or the cache's
 * lookups, before any check): it names every file found and scans those a lookup reaches, so a file no lookup
 * reaches is parsed once, to be checked. A file fixed with --fix is indexed again before the next file is checked.
 */
class InProcessChecker {
  constructor(
    private readonly workspace: CheckWorkspace,
    private readonly options: CheckOptions,
    private readonly cache: CheckCache | null,
  ) {}

  async check(file: FoundFile, selection: RuleSelection): Promise<FileOutcome> {
    const outcome = await checkFile(file, {
      selection,
      fix: this.options.fix,
      unsafe: this.options.unsafeFixes,
      diff: this.options.diff,
      addNoqa: this.options.addNoqa,
      excerpts: this.options.format === 'full',
      workspace: this.workspace,
      recordSource: this.cache !== null,
    });
    const written =
      outcome.kind === 'checked' && !this.options.diff && fixCount(outcome.fixed) + outcome.directives > 0;
    if (written) {
      this.workspace.update(file.absolute);
      this.cache?.changed(file.absolute);
    }
    return outcome;
  }
}

/** --fix (and --fix-only) and --add-noqa write files; --diff, which sets `fix` too, writes nothing. */
function writesFiles(options: CheckOptions): boolean {
  return (options.fix && !options.diff) || options.addNoqa;
}

/**
 * Would checking the file again under these options change it? Its cached findings say: --fix and --diff apply each
 * finding's fix that is safe (or unsafe, with --unsafe-fixes), the configuration's fix settings already applied to
 * it; --add-noqa silences every finding.
 */
function wouldChange(outcome: FileOutcome, options: CheckOptions): boolean {
  if (outcome.kind !== 'checked') return true;
  if (options.addNoqa) return outcome.findings.length > 0;
  return outcome.findings.some(({ finding }) => isFixable(finding, options.unsafeFixes));
}

/**
 * The cache (check-cache.ts); null with --no-cache or REGLENS_NO_CACHE, and when not running from a bundle. A run that
 * changes files (--fix, --diff, --add-noqa) reuses only the findings of a file it would not change, as Ruff does.
 */
function openCache(options: CheckOptions, io: CliIo, workspace: CheckWorkspace, files: number): CheckCache | null {
  const env = io.env ?? process.env;
  const engine = cacheTurnedOff(options.noCache, env) ? null : engineFingerprint();
  if (engine === null || files === 0) return null;
  const dir = cacheDirectory(options.cacheDir, env, io.cwd);
  const names = workspace.build();
  return CheckCache.open(dir, engine, names, { unsafe: options.unsafeFixes, excerpts: options.format === 'full' });
}

/**
 * What the check says on stderr, counted in the report: every file is checked, not checked (a warning that says
 * why) or failed (an error); `error` alone is for what is not a file (a path that does not exist).
 */
interface Messages {
  error(line: string): void;
  warn(line: string): void;
  /** What was left out on purpose (--force-exclude): not under --quiet or --silent. */
  note(line: string): void;
  /** A file that failed; null: its error was already said (one line per bad pyproject.toml). */
  failed(line: string | null): void;
  /** A file's outcome: its findings, or the warning or error that says why it was not checked. */
  record(file: FoundFile, outcome: FileOutcome): void;
}

function messages(report: CheckReport, io: CliIo, options: CheckOptions): Messages {
  const error = (line: string) => {
    report.errors.push(line);
    io.stderr(`error: ${line}\n`);
  };
  // Errors always say why the exit status is 2; --silent asks for nothing else.
  const warn = (line: string) => {
    if (!options.silent) io.stderr(`warning: ${line}\n`);
  };
  const note = (line: string) => {
    if (!options.silent && !options.quiet) io.stderr(`note: ${line}\n`);
  };
  const failed = (line: string | null) => {
    if (line !== null) error(line);
    report.failed++;
  };
  const record = (file: FoundFile, outcome: FileOutcome) => {
    switch (outcome.kind) {
      case 'checked': {
        report.checked++;
        const fixed = fixCount(outcome.fixed);
        if (fixed > 0) {
          report.fixed += fixed;
          report.fixedFiles.push({ path: file.display, byCode: outcome.fixed });
        }
        if (outcome.directives > 0) {
          report.directives.added += outcome.directives;
          report.directives.files++;
        }
        if (outcome.changes) report.changes.push({ path: file.display, changes: outcome.changes });
        for (const { finding, cell, excerpt } of outcome.findings)
          report.diagnostics.push({ path: file.display, absolute: file.absolute, cell, finding, excerpt });
        break;
      }
      case 'skipped':
        warn(outcome.warning);
        report.skipped++;
        break;
      case 'failed':
        failed(outcome.error);
        break;
    }
  };
  return { error, warn, note, failed, record };
}

/**
 * --diff: the patch on stdout, what it comes to on stderr; exit status 1 when the fixes would change something,
 * whatever else remains (as `ruff check --diff`).
 */
function printDiff(report: CheckReport, options: CheckOptions, io: CliIo): number {
  if (!options.silent) io.stdout(formatDiff(report));
  if (!options.silent && !options.quiet) io.stderr(diffSummary(report));
  if (report.errors.length > 0) return 2;
  return report.changes.length > 0 && !options.exitZero ? 1 : 0;
}

/**
 * 2 on an error; else 1 when problems remain (not under --fix-only, which reports none) or, with
 * --exit-non-zero-on-fix, when a fix was applied; --exit-zero makes both 0.
 */
function exitStatus(report: CheckReport, options: CheckOptions): number {
  if (report.errors.length > 0) return 2;
  if (options.exitZero) return 0;
  const remaining = !options.fixOnly && report.diagnostics.length > 0;
  return remaining || (options.exitNonZeroOnFix && report.fixed > 0) ? 1 : 0;
}

/** How many fixes a file's outcome applied, all rules together. */
function fixCount(byCode: Record<string, number>): number {
  let n = 0;
  for (const count of Object.values(byCode)) n += count;
  return n;
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
  const file = { display: name, absolute };
  if (options.forceExclude && resolver.excluded(absolute)) {
    // An editor or hook that pipes every file through: an excluded one comes back unchanged, with nothing found.
    report.excluded.push(name);
    say.note(excludedNote(report.excluded));
  } else if (settings.error !== undefined) say.failed(settings.error);
  else if (!('document' in read)) say.record(file, unreadOutcome(read));
  else {
    try {
      const analysis = await checkDocument(read.document, {
        rules,
        selection: settings.selection,
        fix: options.fix,
        unsafe: options.unsafeFixes,
        addNoqa: options.addNoqa,
      });
      output = documentBytes(read.document, analysis.text);
      say.record(file, {
        kind: 'checked',
        findings: options.format === 'full' ? withExcerpts(read.document, analysis) : analysis.findings,
        fixed: analysis.applied,
        directives: analysis.directives,
        changes: options.diff && analysis.changes.length > 0 ? analysis.changes : undefined,
      });
    } catch (e) {
      say.record(file, failedCheck(name, e));
    }
  }
  sortDiagnostics(report.diagnostics);
  if (options.diff) return printDiff(report, options, io);
  if (options.fix || options.addNoqa) {
    if (options.addNoqa && !options.quiet && !options.silent) io.stderr(directivesAdded(report));
    io.stdout(output);
    return writeReport(report, options, { ...io, color: false }, io.stderr);
  }
  return writeReport(report, options, io, io.stdout);
}
