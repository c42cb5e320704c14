// The files a configuration comes from, as Ruff finds its own: in each folder from a file's upwards, `.reglens.toml`,
// then `reglens.toml` (the settings at the top level), then a `pyproject.toml` with a `[tool.reglens]` table; the
// nearest one governs the file. A standalone file is for the many research repositories that have no pyproject.toml
// and should not gain one: with a pyproject.toml, pip builds a setup.py project in an isolated environment, which
// breaks the CUDA extensions that need torch at build time. A file may `extend` another (a subproject's settings over
// the repository's), as Ruff's do.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { globRoot, type LoadedConfig, type RuleSettings, type SettingsProblem, validateSettings } from './config';

/** What a folder's configuration file may be called, in the order they are tried. */
const CONFIG_FILE_NAMES = ['.reglens.toml', 'reglens.toml', 'pyproject.toml'] as const;

/**
 * Whether a changed file may change a configuration: a configuration file, or any TOML file, which one may `extend`.
 * What watches for changes registers `CONFIGURATION_GLOB`.
 */
export function mayChangeConfiguration(file: string): boolean {
  return /\.toml$/i.test(file);
}

export const CONFIGURATION_GLOB = '**/*.toml';

/** A standalone reglens.toml (or .reglens.toml) rather than a pyproject.toml's `[tool.reglens]` table. */
export function isStandaloneConfig(file: string): boolean {
  return path.basename(file).toLowerCase() !== 'pyproject.toml';
}

/** The nearest configuration file from a folder upwards, or null (the default rules apply). */
export function findConfigFile(startDir: string): string | null {
  let dir = path.resolve(startDir);
  for (;;) {
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = path.join(dir, name);
      if (name !== 'pyproject.toml') {
        // A standalone file counts as soon as it exists, even empty (the default rules, stated).
        if (fs.existsSync(candidate)) return candidate;
        continue;
      }
      // Not there, unreadable or without the table: keep walking up.
      if (hasReglensTable(candidate)) return candidate;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/**
 * The configuration of each file, looked up once per folder and loaded once per file, until `clear()` (a
 * configuration file changed). The CLI's settings resolver and the language server share it; with `readsFiles`
 * false (an untrusted workspace) nothing is read and every file has the default rules.
 */
export class ConfigFiles {
  /** Folder → the configuration file that governs it (null: none). */
  private readonly nearest = new Map<string, string | null>();
  private readonly loaded = new Map<string, LoadedConfig>();

  constructor(
    private readonly codes: readonly string[],
    private readonly readsFiles = true,
    /** Told after a configuration file is read (the editor watches those outside its folders). */
    private readonly onRead?: () => void,
  ) {}

  clear(): void {
    this.nearest.clear();
    this.loaded.clear();
  }

  /** A configuration file named outright (the editor's `reglens.configuration`): read once, as the found ones are. */
  named(file: string): (LoadedConfig & { file: string }) | null {
    if (!this.readsFiles) return null;
    let config = this.loaded.get(file);
    if (!config) {
      config = loadConfigFile(file, this.codes);
      this.loaded.set(file, config);
      this.onRead?.();
    }
    return { ...config, file };
  }

  /** Every configuration file read since the last `clear`, with the files their `extend` chains read. */
  filesRead(): string[] {
    const files = new Set<string>();
    for (const [file, config] of this.loaded) for (const read of config.chain ?? [file]) files.add(read);
    return [...files];
  }

  /** The configuration that governs a file, with the file it is read from; null when there is none. */
  forFile(absolute: string): (LoadedConfig & { file: string }) | null {
    if (!this.readsFiles) return null;
    const dir = path.dirname(absolute);
    let file = this.nearest.get(dir);
    if (file === undefined) {
      file = findConfigFile(dir);
      this.nearest.set(dir, file);
    }
    return file ? this.named(file) : null;
  }
}

/**
 * `codes`: the rule codes there are (a code or prefix that matches none is an error, as on the command line).
 * `extending`: the files whose `extend` led here, outermost first (a cycle is an error).
 */
export function loadConfigFile(
  file: string,
  codes: readonly string[],
  extending: readonly string[] = [],
): LoadedConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return {
      settings: {},
      root: path.dirname(file),
      error: `${file}: cannot be read (${(e as Error).message}); using the default rules.`,
    };
  }
  return parseConfigFile(text, file, codes, extending);
}

/** The settings in a configuration file's text: a pyproject.toml's `[tool.reglens]`, a reglens.toml's top level. */
export function parseConfigFile(
  text: string,
  file: string,
  codes: readonly string[],
  extending: readonly string[] = [],
): LoadedConfig {
  const root = path.dirname(file);
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (e) {
    const { line, column } = e as { line?: number; column?: number };
    const first = String((e as Error).message)
      .split('\n')[0]
      .replace(/^Invalid TOML document: /, '');
    const at = line === undefined ? '' : `:${line}:${column ?? 1}`;
    return { settings: {}, root, error: `${file}${at}: invalid TOML (${first}); using the default rules.` };
  }
  const nested = (doc.tool as Record<string, unknown> | undefined)?.reglens;
  // Another TOML file given with --config (or a reglens.toml) written as a pyproject.toml, with nothing but a
  // [tool.reglens] table, is read as one: that is what it says.
  const standalone = isStandaloneConfig(file) && !(nested !== undefined && Object.keys(doc).length === 1);
  const table = standalone ? doc : nested;
  if (table === undefined) return { settings: {}, root };
  const where = standalone ? '' : '[tool.reglens]';
  const failed = (error: string, problem?: SettingsProblem): LoadedConfig => {
    const at = problem ? locateInTable(text, standalone ? '' : 'tool.reglens', problem) : null;
    return {
      settings: {},
      root,
      error: `${file}${at ? `:${at.line}:${at.column}` : ''}: ${error}; using the default rules.`,
    };
  };
  const { extend, ...rest } = table as Record<string, unknown>;
  const { settings, error, problem } = validateSettings(rest, where, codes);
  if (error) return failed(error, problem);
  if (extend === undefined) return { settings, root };
  const extendKey = where ? `${where}.extend` : 'extend';
  if (typeof extend !== 'string' || extend.trim() === '')
    return failed(`${extendKey} must be the path of a reglens.toml or pyproject.toml`, { key: 'extend' });
  const expanded = expandPath(extend.trim());
  if ('unset' in expanded)
    return failed(`${extendKey} names ${extend}, but $${expanded.unset} is not set`, { key: 'extend', value: extend });
  const base = path.resolve(root, expanded.path);
  const chain = [...extending, file];
  if (chain.includes(base)) {
    const cycle = [...chain, base].map((f) => path.relative(root, f) || path.basename(f)).join(' → ');
    return failed(`${extendKey} makes a cycle: ${cycle}`, { key: 'extend', value: extend });
  }
  if (!fs.existsSync(base))
    return failed(`${extendKey} names ${extend}, which does not exist`, { key: 'extend', value: extend });
  if (!isStandaloneConfig(base) && !hasReglensTable(base))
    return failed(`${extendKey} names ${extend}, which has no [tool.reglens] table`, { key: 'extend', value: extend });
  const inherited = loadConfigFile(base, codes, chain);
  // The base's own message says what is wrong there, at its line.
  if (inherited.error) return { settings: {}, root, error: inherited.error };
  return extended(settings, file, inherited, base);
}

/**
 * `~` and environment variables (`$VAR`, `${VAR}`) in an `extend` path, as Ruff expands them, so one shared file can
 * be named from every clone (`extend = "~/.config/reglens/base.toml"`, `"$CI_PROJECT_DIR/reglens.toml"`).
 */
export function expandPath(
  given: string,
  env: NodeJS.ProcessEnv = process.env,
  home = os.homedir(),
): { path: string } | { unset: string } {
  let unset: string | null = null;
  const withVariables = given.replace(
    /\$(?:\{(\w+)\}|(\w+))/g,
    (_, braced: string | undefined, bare: string | undefined) => {
      const name = (braced ?? bare)!;
      const value = env[name];
      if (value === undefined) unset ??= name;
      return value ?? '';
    },
  );
  if (unset !== null) return { unset };
  return { path: /^~(?=$|[/\\])/.test(withVariables) ? home + withVariables.slice(1) : withVariables };
}

/** Whether a pyproject.toml can be read and has a `[tool.reglens]` table. */
function hasReglensTable(file: string): boolean {
  try {
    return /^\s*\[\s*tool\.reglens\b/m.test(fs.readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * A file's settings over those of the file it extends, as Ruff merges a chain. Rule selection is layered: a file that
 * sets `select` starts the selection afresh (its `ignore` with it), one that does not adds its `ignore` on top of the
 * base's, which then wins over the base's `select` however specific (the same for `fixable` / `unfixable`).
 * `extend-safe-fixes` and `extend-unsafe-fixes` add up; `severity` tables merge, this file's entries first; any other
 * key this file sets replaces the base's, and the base's globs stay relative to the folder of the file that wrote them.
 */
function extended(own: RuleSettings, file: string, base: LoadedConfig, baseFile: string): LoadedConfig {
  const root = path.dirname(file);
  const inherited = base.settings;
  const settings: Record<string, unknown> = { ...inherited };
  for (const [key, value] of Object.entries(own)) if (value !== undefined) settings[key] = value;
  layer(settings, inherited, own, 'select', 'ignore');
  layer(settings, inherited, own, 'fixable', 'unfixable');
  for (const key of ['extendSafeFixes', 'extendUnsafeFixes'] as const)
    if (inherited[key] && own[key]) settings[key] = [...new Set([...inherited[key], ...own[key]])];
  if (inherited.severity && own.severity) settings.severity = { ...inherited.severity, ...own.severity };
  const globRoots: NonNullable<LoadedConfig['globRoots']> = {};
  for (const key of ['exclude', 'perFileIgnores'] as const) {
    const from = own[key] !== undefined ? root : globRoot(base, key);
    if (from !== null && from !== root) globRoots[key] = from;
  }
  return {
    settings: settings as RuleSettings,
    root,
    chain: [file, ...(base.chain ?? [baseFile])],
    ...(Object.keys(globRoots).length > 0 ? { globRoots } : {}),
  };
}

/**
 * A file with its own `on` list (select, fixable) starts afresh, the base's `off` list (ignore, unfixable) gone with
 * its `on` list. A file without one keeps the base's and adds its `off` list to the base's. That its entries win
 * over the base's `on` entries however specific (the later layer decides, as in Ruff), every base `on` entry one of
 * them covers is turned off too: the resolution by longest prefix, where `off` wins a tie, then gives the layered
 * answer.
 */
function layer(
  settings: Record<string, unknown>,
  inherited: RuleSettings,
  own: RuleSettings,
  on: 'select' | 'fixable',
  off: 'ignore' | 'unfixable',
): void {
  if (own[on] !== undefined) {
    // Afresh: the base's `off` entries go with its `on` ones.
    if (own[off] === undefined) delete settings[off];
    return;
  }
  if (own[off] === undefined) return;
  const covered = (inherited[on] ?? []).filter((code) => own[off]!.some((o) => o === 'ALL' || code.startsWith(o)));
  settings[off] = [...new Set([...(inherited[off] ?? []), ...own[off]!, ...covered])];
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The 1-based line and column of a problem in `[table]` of a TOML text (`''`: the top level, before any header),
 * found by reading the text (the TOML parser keeps no positions): the value after its key (`select = ["RG99"]`, a
 * multi-line array included), or in the key's own sub-table (`[tool.reglens.severity]`, `[severity]`), else the key.
 * Null when it cannot be placed.
 */
function locateInTable(text: string, table: string, problem: SettingsProblem): { line: number; column: number } | null {
  const lines = text.split(/\r?\n/);
  const headerOf = (name: string) =>
    new RegExp(`^\\s*\\[\\s*${name.split('.').map(escapeRegExp).join('\\s*\\.\\s*')}\\s*\\]`);
  // A word boundary only where the value has a word character to bound (a path such as ../base.toml has not).
  const bounded = (v: string) => `${/^\w/.test(v) ? '\\b' : ''}${escapeRegExp(v)}${/\w$/.test(v) ? '\\b' : ''}`;
  const value = problem.value === undefined ? null : new RegExp(`(["']?)${bounded(problem.value)}\\1`);
  const search = (from: number, to: number): { line: number; column: number } | null => {
    for (let j = from; j < to && value; j++) {
      const col = lines[j].search(value);
      if (col >= 0) return { line: j + 1, column: col + 1 };
    }
    return null;
  };
  const sectionEnd = (start: number) => {
    let end = start + 1;
    while (end < lines.length && !/^\s*\[/.test(lines[end])) end++;
    return end;
  };
  if (problem.subTable) {
    const start = lines.findIndex((l) => headerOf(table ? `${table}.${problem.key}` : problem.key).test(l));
    const found = start >= 0 ? search(start + 1, sectionEnd(start)) : null;
    if (found) return found;
  }
  // The top level runs from the first line to the first header.
  const start = table ? lines.findIndex((l) => headerOf(table).test(l)) : -1;
  if (table && start < 0) return null;
  const end = sectionEnd(start);
  const keyPattern = new RegExp(`^\\s*(["']?)${escapeRegExp(problem.key)}\\1\\s*=`);
  for (let i = start + 1; i < end; i++) {
    if (!keyPattern.test(lines[i])) continue;
    let next = i + 1;
    while (next < end && !/^\s*["\w-]+\s*=/.test(lines[next])) next++;
    return search(i, next) ?? { line: i + 1, column: lines[i].search(/\S/) + 1 };
  }
  // A key written as a table of its own (`[tool.reglens.severity]`, or `[tool.reglens]` in a reglens.toml).
  const ownTable = new RegExp(
    `^\\s*\\[\\s*${[...(table ? table.split('.') : []), problem.key].map(escapeRegExp).join('\\s*\\.\\s*')}\\s*[.\\]]`,
  );
  const header = lines.findIndex((l) => ownTable.test(l));
  return header < 0 ? null : { line: header + 1, column: lines[header].search(/\S/) + 1 };
}
