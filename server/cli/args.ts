// Command-line argument parsing for `reglens`. No output and no file access here: main.ts acts on the result.
import { unknownCode } from '../engine/config';
import { ruleCodes } from '../rules';

export type OutputFormat =
  | 'text'
  | 'full'
  | 'grouped'
  | 'json'
  | 'json-lines'
  | 'sarif'
  | 'github'
  | 'gitlab'
  | 'junit'
  | 'rdjson'
  | 'azure'
  | 'pylint';

export const FORMATS: readonly OutputFormat[] = [
  'text',
  'full',
  'grouped',
  'json',
  'json-lines',
  'sarif',
  'github',
  'gitlab',
  'junit',
  'rdjson',
  'azure',
  'pylint',
];

/** The formats written for people, which end with a summary: the others are for tools. */
export const HUMAN_FORMATS: ReadonlySet<OutputFormat> = new Set(['text', 'full', 'grouped']);

/** Ruff's name for the one-line-per-problem format, which is Reglens's `text`. */
const FORMAT_ALIASES: Record<string, OutputFormat> = { concise: 'text' };

export interface CheckOptions {
  /** Files and folders as given; empty means the current directory. */
  paths: string[];
  format: OutputFormat;
  /** Replace `select` / `ignore` of every pyproject.toml when set. */
  select?: string[];
  ignore?: string[];
  /** Replace `fixable` / `unfixable` of every pyproject.toml when set. */
  fixable?: string[];
  unfixable?: string[];
  fix: boolean;
  /** Apply fixes and report only what was fixed (`fix` is then set too). */
  fixOnly: boolean;
  /** Exit with status 1 when a fix was applied, even if no problem remains. */
  exitNonZeroOnFix: boolean;
  /** List the fixes applied, per file and rule. */
  showFixes: boolean;
  /** Check again whenever a file under the paths changes, until interrupted. */
  watch: boolean;
  unsafeFixes: boolean;
  /** Show what --fix would change as a diff, and write nothing (`fix` is then set too). */
  diff: boolean;
  /** Silence every finding with a `# noqa` directive on its line instead of fixing it. */
  addNoqa: boolean;
  /** Print how many problems each rule has instead of each problem. */
  statistics: boolean;
  exitZero: boolean;
  /** Read the source from stdin and report it under this name. */
  stdinFilename?: string;
  /** A pyproject.toml used for every file instead of discovery. */
  config?: string;
  /** Worker threads that check files (--jobs); undefined: one per core, fewer for a small run. */
  jobs?: number;
  /** Globs relative to the current directory: `exclude` replaces every pyproject's, `extendExclude` adds to it. */
  exclude?: string[];
  extendExclude?: string[];
  /** Leave out paths named on the command line (and --stdin-filename) that the exclusions match, as in a walk. */
  forceExclude: boolean;
  /** quiet: the problems only, no summary; silent: nothing on stdout (the exit status says it). */
  quiet: boolean;
  silent: boolean;
  /** Write the report to this file instead of stdout. */
  outputFile?: string;
  /** Print what a check would read instead of checking: the files, or the first file's settings. */
  show?: 'files' | 'settings';
  /** Neither read nor write the cache (check-cache.ts). */
  noCache: boolean;
  /** The cache's folder instead of `.reglens_cache` in the project's root. */
  cacheDir?: string;
}

export type Command =
  | { kind: 'help'; topic: 'main' | 'check' | 'rule' | 'clean' }
  | { kind: 'version' }
  | { kind: 'rule'; code: string | null }
  | { kind: 'check'; options: CheckOptions }
  /** `reglens profile`: its arguments are parsed by server/cli/profile.ts. */
  | { kind: 'profile'; args: string[] }
  /** `reglens clean`: remove the check cache (`cacheDir`: --cache-dir). */
  | { kind: 'clean'; cacheDir?: string };

/** A mistake on the command line: printed as one line, exit status 2. */
export class UsageError extends Error {}

/** The non-empty items of a comma-separated option value, trimmed. */
function commaList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Parses `--select` / `--ignore` values: comma-separated codes or prefixes that match at least one rule. */
export function parseCodes(option: string, value: string): string[] {
  const codes = commaList(value).map((c) => c.toUpperCase());
  if (codes.length === 0) throw new UsageError(`${option} needs at least one rule code, such as RG006`);
  for (const code of codes) {
    const unknown = unknownCode(code, ruleCodes);
    if (unknown) throw new UsageError(`${option}: "${code}" ${unknown.replace(/^which /, '')}`);
  }
  return codes;
}

/** `--exclude` / `--extend-exclude` values: comma-separated globs. */
function parseGlobs(option: string, value: string): string[] {
  const globs = commaList(value);
  if (globs.length === 0) throw new UsageError(`${option} needs at least one glob, such as legacy or build/**`);
  return globs;
}

/** `--jobs N`: a whole number of worker threads, 1 or more. */
function parseJobs(option: string, value: string): number {
  const jobs = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(jobs) || jobs < 1)
    throw new UsageError(`${option} needs a whole number of worker threads, 1 or more, not "${value}"`);
  return jobs;
}

const VALUE_OPTIONS = new Set([
  '--output-format',
  '--format',
  '--select',
  '--ignore',
  '--fixable',
  '--unfixable',
  '--stdin-filename',
  '--config',
  '--jobs',
  '-j',
  '--exclude',
  '--extend-exclude',
  '--output-file',
  '-o',
  '--cache-dir',
]);
const FLAG_OPTIONS = new Set([
  '--fix',
  '--fix-only',
  '--exit-non-zero-on-fix',
  '--show-fixes',
  '--watch',
  '-w',
  '--unsafe-fixes',
  '--diff',
  '--add-noqa',
  '--statistics',
  '--exit-zero',
  '--force-exclude',
  '--quiet',
  '-q',
  '--silent',
  '-s',
  '--show-files',
  '--show-settings',
  '--no-cache',
  '--help',
  '-h',
]);

export function parseArgs(argv: readonly string[]): Command {
  if (argv.length === 0) throw new UsageError('missing command: try `reglens check` (see `reglens --help`)');
  const [first, ...rest] = argv;
  switch (first) {
    case '-h':
    case '--help':
    case 'help':
      return { kind: 'help', topic: 'main' };
    case '-V':
    case '--version':
    case 'version':
      return { kind: 'version' };
    case 'check':
      return parseCheck(rest);
    case 'rule':
      return parseRule(rest);
    case 'profile':
      return { kind: 'profile', args: rest };
    case 'clean':
      return parseClean(rest);
    default:
      if (first.startsWith('-')) throw new UsageError(`unknown option ${first} (see \`reglens --help\`)`);
      throw new UsageError(
        `unknown command "${first}" (expected check, rule, profile or clean; see \`reglens --help\`)`,
      );
  }
}

function parseClean(args: string[]): Command {
  if (args.includes('-h') || args.includes('--help')) return { kind: 'help', topic: 'clean' };
  let cacheDir: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const [name, inline] = args[i].startsWith('--cache-dir=') ? ['--cache-dir', args[i].slice(12)] : [args[i]];
    if (name !== '--cache-dir')
      throw new UsageError(`unexpected argument ${args[i]} for \`reglens clean\` (see \`reglens clean --help\`)`);
    cacheDir = inline ?? args[++i];
    if (!cacheDir) throw new UsageError('--cache-dir needs the path of a folder');
  }
  return { kind: 'clean', cacheDir };
}

function parseRule(args: string[]): Command {
  if (args.includes('-h') || args.includes('--help')) return { kind: 'help', topic: 'rule' };
  const unknown = args.find((a) => a.startsWith('-'));
  if (unknown) throw new UsageError(`unknown option ${unknown} for \`reglens rule\``);
  if (args.length > 1) throw new UsageError('`reglens rule` takes one rule code, e.g. `reglens rule RG006`');
  return { kind: 'rule', code: args[0] ?? null };
}

function parseCheck(args: string[]): Command {
  const options: CheckOptions = {
    paths: [],
    format: 'text',
    fix: false,
    fixOnly: false,
    exitNonZeroOnFix: false,
    showFixes: false,
    watch: false,
    unsafeFixes: false,
    diff: false,
    addNoqa: false,
    statistics: false,
    exitZero: false,
    forceExclude: false,
    quiet: false,
    silent: false,
    noCache: false,
  };
  let onlyPaths = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (onlyPaths || arg === '-' || !arg.startsWith('-')) {
      options.paths.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPaths = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    let value: string | undefined;
    if (VALUE_OPTIONS.has(name)) {
      if (eq > 0 && name !== arg) value = arg.slice(eq + 1);
      else {
        value = args[++i];
        if (value === undefined) throw new UsageError(`${name} needs a value (see \`reglens check --help\`)`);
      }
    } else if (FLAG_OPTIONS.has(name)) {
      if (name !== arg) throw new UsageError(`${name} takes no value`);
    } else {
      throw new UsageError(`unknown option ${name} (see \`reglens check --help\`)`);
    }
    switch (name) {
      case '-h':
      case '--help':
        return { kind: 'help', topic: 'check' };
      case '--output-format':
      case '--format':
        if (!FORMATS.includes(value as OutputFormat) && !Object.hasOwn(FORMAT_ALIASES, value!))
          throw new UsageError(`${name} must be one of ${FORMATS.join(', ')}, not "${value}"`);
        options.format = FORMAT_ALIASES[value!] ?? (value as OutputFormat);
        break;
      case '--select':
        options.select = [...(options.select ?? []), ...parseCodes('--select', value!)];
        break;
      case '--ignore':
        options.ignore = [...(options.ignore ?? []), ...parseCodes('--ignore', value!)];
        break;
      case '--fixable':
        options.fixable = [...(options.fixable ?? []), ...parseCodes('--fixable', value!)];
        break;
      case '--unfixable':
        options.unfixable = [...(options.unfixable ?? []), ...parseCodes('--unfixable', value!)];
        break;
      case '--stdin-filename':
        if (value === '') throw new UsageError('--stdin-filename needs a file name');
        options.stdinFilename = value;
        break;
      case '--config':
        if (value === '') throw new UsageError('--config needs the path of a reglens.toml or pyproject.toml');
        options.config = value;
        break;
      case '-j':
      case '--jobs':
        options.jobs = parseJobs(name, value!);
        break;
      case '--exclude':
        options.exclude = [...(options.exclude ?? []), ...parseGlobs(name, value!)];
        break;
      case '--extend-exclude':
        options.extendExclude = [...(options.extendExclude ?? []), ...parseGlobs(name, value!)];
        break;
      case '--force-exclude':
        options.forceExclude = true;
        break;
      case '-o':
      case '--output-file':
        if (value === '') throw new UsageError(`${name} needs the path of the file to write the report to`);
        options.outputFile = value;
        break;
      case '--no-cache':
        options.noCache = true;
        break;
      case '--cache-dir':
        if (value === '') throw new UsageError('--cache-dir needs the path of a folder');
        options.cacheDir = value;
        break;
      case '-q':
      case '--quiet':
        options.quiet = true;
        break;
      case '-s':
      case '--silent':
        options.silent = true;
        break;
      case '--show-files':
      case '--show-settings':
        if (options.show && options.show !== name.slice('--show-'.length))
          throw new UsageError('--show-files and --show-settings cannot be combined: use one of them');
        options.show = name === '--show-files' ? 'files' : 'settings';
        break;
      case '--fix':
        options.fix = true;
        break;
      case '--fix-only':
        options.fixOnly = true;
        break;
      case '--exit-non-zero-on-fix':
        options.exitNonZeroOnFix = true;
        break;
      case '--show-fixes':
        options.showFixes = true;
        break;
      case '-w':
      case '--watch':
        options.watch = true;
        break;
      case '--unsafe-fixes':
        options.unsafeFixes = true;
        break;
      case '--diff':
        options.diff = true;
        break;
      case '--add-noqa':
        options.addNoqa = true;
        break;
      case '--statistics':
        options.statistics = true;
        break;
      case '--exit-zero':
        options.exitZero = true;
        break;
    }
  }
  if (options.addNoqa && (options.fix || options.fixOnly || options.diff)) {
    const other = options.fix ? '--fix' : options.fixOnly ? '--fix-only' : '--diff';
    throw new UsageError(`--add-noqa silences findings instead of fixing them; it cannot be combined with ${other}`);
  }
  if (options.statistics && options.diff)
    throw new UsageError('--statistics counts problems; --diff prints changes: use one of them');
  if (options.statistics && options.fixOnly)
    throw new UsageError('--statistics counts problems; --fix-only reports none: use one of them');
  if (options.fixOnly && options.diff)
    throw new UsageError('--fix-only writes the fixes; --diff prints them and writes nothing: use one of them');
  for (const [given, name] of [
    [options.showFixes, '--show-fixes'],
    [options.exitNonZeroOnFix, '--exit-non-zero-on-fix'],
  ] as const)
    if (given && options.diff)
      throw new UsageError(`${name} is about the fixes applied; --diff applies none (it prints them instead)`);
    else if (given && !options.fix && !options.fixOnly)
      throw new UsageError(`${name} is about the fixes applied; it needs --fix or --fix-only`);
  if (options.showFixes && !HUMAN_FORMATS.has(options.format))
    throw new UsageError(
      `--show-fixes lists the fixes as text; it cannot be combined with --output-format ${options.format}`,
    );
  if (options.statistics && options.format !== 'text' && options.format !== 'json')
    throw new UsageError(`--statistics prints text or json, not ${options.format}`);
  if (options.diff && options.format !== 'text')
    throw new UsageError(`--diff prints a diff; it cannot be combined with --output-format ${options.format}`);
  if (options.show) {
    const other = [
      options.fixOnly && '--fix-only',
      options.fix && !options.diff && '--fix',
      options.diff && '--diff',
      options.addNoqa && '--add-noqa',
      options.statistics && '--statistics',
      options.stdinFilename !== undefined && '--stdin-filename',
    ].find(Boolean);
    if (other) throw new UsageError(`--show-${options.show} checks nothing; it cannot be combined with ${other}`);
  }
  if (options.watch) {
    const other = [
      options.fix && '--fix',
      options.fixOnly && '--fix-only',
      options.diff && '--diff',
      options.addNoqa && '--add-noqa',
      options.show && `--show-${options.show}`,
      options.stdinFilename !== undefined && '--stdin-filename',
      options.outputFile !== undefined && '--output-file',
      options.silent && '--silent',
    ].find(Boolean);
    if (other)
      throw new UsageError(`--watch shows each check's problems as files change; it cannot be combined with ${other}`);
    if (!HUMAN_FORMATS.has(options.format))
      throw new UsageError(`--watch prints text, full or grouped reports, not ${options.format}`);
  }
  if (options.outputFile !== undefined && options.silent)
    throw new UsageError('--silent prints no report; it cannot be combined with --output-file');
  // Ruff's way: with --fix too, --diff wins and nothing is written.
  if (options.diff || options.fixOnly) options.fix = true;
  if (options.stdinFilename !== undefined) {
    const other = options.paths.filter((p) => p !== '-');
    if (other.length > 0)
      throw new UsageError(
        `--stdin-filename reads the source from stdin; it cannot be combined with paths (${other.join(' ')})`,
      );
    options.paths = [];
  } else if (options.paths.includes('-')) {
    throw new UsageError('reading from stdin needs --stdin-filename NAME');
  }
  return { kind: 'check', options };
}
