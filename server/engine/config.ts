import * as path from 'node:path';
import type { Applicability, Finding, Fix, Severity } from './types';

/** Which rules run and how loudly; the same shape from `[tool.reglens]`, VS Code settings and CLI flags. */
export interface RuleSettings {
  /** Codes or prefixes (`RG006`, `RG0`, `ALL`); empty selects every rule. */
  select?: string[];
  ignore?: string[];
  /** Glob (relative to the pyproject's folder, or a file name) → codes ignored in matching files. */
  perFileIgnores?: Record<string, string[]>;
  severity?: Record<string, Severity>;
  /**
   * Globs of files and folders the workspace index and `reglens check DIR` skip, relative to the pyproject's
   * folder (or the workspace folder); a glob without `/` matches a file or folder name at any depth.
   */
  exclude?: string[];
  /** Codes or prefixes whose fixes may be applied (default: every rule); `unfixable` takes them back, Ruff's way. */
  fixable?: string[];
  unfixable?: string[];
  /** Codes or prefixes whose unsafe fixes count as safe (`--fix` and fix-all apply them), and the reverse. */
  extendSafeFixes?: string[];
  extendUnsafeFixes?: string[];
}

/** The keys whose value is a list of rule codes or prefixes, kebab-case or camelCase, and where each goes. */
const CODE_LIST_KEYS: Record<
  string,
  'select' | 'ignore' | 'fixable' | 'unfixable' | 'extendSafeFixes' | 'extendUnsafeFixes'
> = {
  select: 'select',
  ignore: 'ignore',
  fixable: 'fixable',
  unfixable: 'unfixable',
  'extend-safe-fixes': 'extendSafeFixes',
  extendSafeFixes: 'extendSafeFixes',
  'extend-unsafe-fixes': 'extendUnsafeFixes',
  extendUnsafeFixes: 'extendUnsafeFixes',
};

const KNOWN_KEYS =
  'select, ignore, per-file-ignores, severity, exclude, fixable, unfixable, extend-safe-fixes, extend-unsafe-fixes, ' +
  'extend';

export type ConfigurationPreference = 'editorFirst' | 'filesystemFirst' | 'editorOnly';

export interface LoadedConfig {
  settings: RuleSettings;
  /** Folder of the configuration file, against which its `exclude` and `per-file-ignores` globs are matched. */
  root: string | null;
  /**
   * With `extend`: the folder of the file that gave `exclude` or `per-file-ignores`, when a file it extends gave it
   * (a glob stays relative to the file it is written in, as in Ruff).
   */
  globRoots?: { exclude?: string; perFileIgnores?: string };
  /** With `extend`: the files the settings were read from, this one first. */
  chain?: string[];
  /** A clear sentence when the file could not be used; the defaults apply then. */
  error?: string;
}

/** The folder a configuration's `exclude` or `per-file-ignores` globs are relative to. */
export function globRoot(config: LoadedConfig, key: 'exclude' | 'perFileIgnores'): string | null {
  return config.globRoots?.[key] ?? config.root;
}

/** Whether a configuration's `exclude` leaves a file or folder out; a configuration with an error excludes nothing. */
export function excludedBy(config: LoadedConfig | null, absolute: string): boolean {
  const root = config && !config.error ? globRoot(config, 'exclude') : null;
  return root !== null && isExcluded(path.relative(root, absolute), config!.settings.exclude);
}

const SEVERITIES = new Set(['error', 'warning', 'info', 'hint']);
const CODE = /^(ALL|RG[0-9]{0,3})$/;

/** Where a problem is: the key of the table (and the value, when one is named; `table` for a sub-table). */
export interface SettingsProblem {
  key: string;
  value?: string;
  /** The value may be written in its own table, `[tool.reglens.<key>]`. */
  subTable?: boolean;
}

/**
 * Checks untrusted input (a TOML table or VS Code settings object). Keys may be kebab-case or camelCase. Every rule
 * code or prefix must match one of `codes`, as `--select` requires. `problem` says which key (and value) is wrong.
 */
export function validateSettings(
  raw: unknown,
  where: string,
  codes: readonly string[],
): { settings: RuleSettings; error?: string; problem?: SettingsProblem } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { settings: {}, error: `${where} must be a table` };
  const settings: RuleSettings = {};
  // A standalone reglens.toml holds the keys at its top level: they are named alone there.
  const named = (key: string) => (where ? `${where}.${key}` : key);
  const fail = (error: string, key: string, value?: string) => ({ settings: {}, error, problem: { key, value } });
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const listKey = Object.hasOwn(CODE_LIST_KEYS, key) ? CODE_LIST_KEYS[key] : undefined;
    if (listKey) {
      const list = codeList(value, codes);
      if (!Array.isArray(list)) return fail(`${named(key)} ${list.error}`, key, list.value);
      settings[listKey] = list;
      continue;
    }
    switch (key) {
      case 'per-file-ignores':
      case 'perFileIgnores': {
        if (typeof value !== 'object' || value === null || Array.isArray(value))
          return fail(`${named(key)} must be a table of glob = ["RGxxx", …]`, key);
        const table: Record<string, string[]> = {};
        for (const [glob, entry] of Object.entries(value)) {
          const list = codeList(entry, codes);
          if (!Array.isArray(list))
            return {
              ...fail(`${named(key)}."${glob}" ${list.error}`, key, list.value),
              problem: { key, value: list.value, subTable: true },
            };
          table[glob] = list;
        }
        settings.perFileIgnores = table;
        break;
      }
      case 'severity': {
        if (typeof value !== 'object' || value === null || Array.isArray(value))
          return fail(`${named('severity')} must be a table of RGxxx = "error" | "warning" | "info" | "hint"`, key);
        const table: Record<string, Severity> = {};
        for (const [code, level] of Object.entries(value)) {
          const normalized = level === 'information' ? 'info' : level;
          const unknown = unknownCode(code.toUpperCase(), codes);
          if (unknown)
            return {
              ...fail(`${named('severity')} has ${JSON.stringify(code)}, ${unknown}`, key),
              problem: { key, value: code, subTable: true },
            };
          if (typeof normalized !== 'string' || !SEVERITIES.has(normalized))
            return {
              ...fail(
                `${named('severity')}.${code} must be "error", "warning", "info" or "hint", ` +
                  `not ${JSON.stringify(level)}`,
                key,
              ),
              problem: { key, value: code, subTable: true },
            };
          table[code.toUpperCase()] = normalized as Severity;
        }
        settings.severity = table;
        break;
      }
      case 'exclude': {
        if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.trim() !== ''))
          return fail(
            `${named('exclude')} must be a list of glob patterns such as "build" or "legacy/**", not ` +
              `${JSON.stringify(value)}`,
            key,
          );
        settings.exclude = value.map((v: string) => v.trim());
        break;
      }
      default:
        return fail(`${where ? `${where} has an unknown key` : 'unknown key'} "${key}" (expected ${KNOWN_KEYS})`, key);
    }
  }
  return { settings };
}

/** Why a code or prefix is not one, or undefined when it matches a rule (`ALL` matches every rule). */
export function unknownCode(code: string, codes: readonly string[]): string | undefined {
  if (!CODE.test(code)) return 'which is not a rule code or prefix such as "RG006" or "RG0"';
  if (code !== 'ALL' && !codes.some((c) => c.startsWith(code)))
    return `which matches no rule (rules: ${codes.join(', ')})`;
  return undefined;
}

function codeList(value: unknown, codes: readonly string[]): string[] | { error: string; value?: string } {
  if (!Array.isArray(value)) return { error: `must be a list of rule codes, not ${JSON.stringify(value)}` };
  const out: string[] = [];
  for (const v of value) {
    const code = typeof v === 'string' ? v.trim().toUpperCase() : '';
    const unknown = typeof v === 'string' ? unknownCode(code, codes) : 'which is not a rule code';
    if (unknown) return { error: `has ${JSON.stringify(v)}, ${unknown}`, value: typeof v === 'string' ? v : undefined };
    out.push(code);
  }
  return out;
}

/**
 * Combines VS Code settings with pyproject.toml. A key set in both is taken from the side the preference names;
 * a key set in only one is taken from it.
 */
export function combineSettings(
  editor: RuleSettings,
  filesystem: RuleSettings,
  preference: ConfigurationPreference,
): RuleSettings {
  if (preference === 'editorOnly') return editor;
  const [first, second] = preference === 'editorFirst' ? [editor, filesystem] : [filesystem, editor];
  const pick = <K extends keyof RuleSettings>(k: K): RuleSettings[K] => (isSet(first[k]) ? first[k] : second[k]);
  return {
    select: pick('select'),
    ignore: pick('ignore'),
    perFileIgnores: pick('perFileIgnores'),
    severity: pick('severity'),
    exclude: pick('exclude'),
    fixable: pick('fixable'),
    unfixable: pick('unfixable'),
    extendSafeFixes: pick('extendSafeFixes'),
    extendUnsafeFixes: pick('extendUnsafeFixes'),
  };
}

function isSet(v: unknown): boolean {
  if (v === undefined) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object' && v !== null) return Object.keys(v).length > 0;
  return true;
}

/** The rules in force for one file, resolved Ruff's way: the most specific matching prefix wins. */
export class RuleSelection {
  private readonly select: string[];
  private readonly ignore: string[];
  private readonly severity: Record<string, Severity>;
  private readonly fixes: FixSettings;

  constructor(settings: RuleSettings, filePath?: string, root?: string | null) {
    this.select = settings.select?.length ? settings.select : ['ALL'];
    this.ignore = [...(settings.ignore ?? [])];
    this.severity = settings.severity ?? {};
    this.fixes = {
      fixable: settings.fixable?.length ? settings.fixable : ['ALL'],
      unfixable: settings.unfixable ?? [],
      safe: settings.extendSafeFixes ?? [],
      unsafe: settings.extendUnsafeFixes ?? [],
    };
    if (filePath && settings.perFileIgnores) {
      const rel = root ? path.relative(root, filePath) : filePath;
      for (const [glob, codes] of Object.entries(settings.perFileIgnores)) {
        if (globMatches(glob, rel) || (!glob.includes('/') && globMatches(glob, path.basename(filePath))))
          this.ignore.push(...codes);
      }
    }
  }

  /** What the selection is, as text: two selections with the same fingerprint enable and grade rules alike. */
  fingerprint(): string {
    return JSON.stringify([this.select, this.ignore, this.severity, this.fixes]);
  }

  /** The same fix settings, with only `code` enabled (a fix-all of one rule). */
  only(code: string): RuleSelection {
    const { fixable, unfixable, safe, unsafe } = this.fixes;
    return new RuleSelection({
      select: [code],
      fixable,
      unfixable,
      extendSafeFixes: safe,
      extendUnsafeFixes: unsafe,
    });
  }

  /**
   * A finding as this configuration reports it: its severity, and its fixes as `fixable` / `unfixable` and
   * `extend-safe-fixes` / `extend-unsafe-fixes` leave them. Applied to every finding in one place, as Ruff does, so
   * that no output, no `--fix` and no editor action can offer a fix the configuration took away.
   */
  configured(finding: Finding): Finding {
    const severity = this.severityOf(finding.code, finding.severity);
    if (!finding.fix) return severity === finding.severity ? finding : { ...finding, severity };
    if (!this.fixable(finding.code)) {
      const { alternatives: _, ...rest } = finding;
      return { ...rest, severity, fix: null };
    }
    const relabel = (fix: Fix): Fix => {
      const applicability = this.applicabilityOf(finding.code, fix.applicability);
      return applicability === fix.applicability ? fix : { ...fix, applicability };
    };
    return {
      ...finding,
      severity,
      fix: relabel(finding.fix),
      ...(finding.alternatives ? { alternatives: finding.alternatives.map(relabel) } : {}),
    };
  }

  /** Whether a rule's fixes may be offered and applied: `fixable` matches it more closely than `unfixable`. */
  fixable(code: string): boolean {
    return longestMatch(this.fixes.fixable, code) > longestMatch(this.fixes.unfixable, code);
  }

  /**
   * What a fix of the rule counts as: `extend-safe-fixes` / `extend-unsafe-fixes` when one matches (the longer match
   * wins, unsafe on a tie), else its own.
   */
  applicabilityOf(code: string, own: Applicability): Applicability {
    const safe = longestMatch(this.fixes.safe, code);
    const unsafe = longestMatch(this.fixes.unsafe, code);
    if (safe < 0 && unsafe < 0) return own;
    return safe > unsafe ? 'safe' : 'unsafe';
  }

  enabled(code: string): boolean {
    const s = longestMatch(this.select, code);
    const i = longestMatch(this.ignore, code);
    return s >= 0 && s > i;
  }

  severityOf(code: string, fallback: Severity): Severity {
    let best = -1;
    let result = fallback;
    for (const [prefix, level] of Object.entries(this.severity)) {
      const len = matchLength(prefix, code);
      if (len > best) {
        best = len;
        result = level;
      }
    }
    return result;
  }
}

interface FixSettings {
  fixable: string[];
  unfixable: string[];
  safe: string[];
  unsafe: string[];
}

function matchLength(prefix: string, code: string): number {
  if (prefix === 'ALL') return 0;
  return code.startsWith(prefix) ? prefix.length : -1;
}

function longestMatch(prefixes: string[], code: string): number {
  let best = -1;
  for (const p of prefixes) best = Math.max(best, matchLength(p, code));
  return best;
}

/** `**` spans folders, `*` and `?` stay within one. Paths are compared with forward slashes. */
export function globMatches(glob: string, file: string): boolean {
  const target = file.split(path.sep).join('/');
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(target);
}

/**
 * Whether `exclude` globs exclude a file or folder, given its path relative to the globs' base folder: a glob
 * with a `/` matches the path (or a folder above it), one without matches any file or folder name on the way.
 */
export function isExcluded(relative: string, globs: readonly string[] | undefined): boolean {
  if (!globs?.length) return false;
  const parts = relative
    .split(path.sep)
    .join('/')
    .split('/')
    .filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts[0] === '..') return false;
  for (const raw of globs) {
    const glob = raw.replace(/^\.\//, '').replace(/\/+$/, '');
    if (!glob.includes('/')) {
      if (parts.some((p) => globMatches(glob, p))) return true;
      continue;
    }
    for (let i = 1; i <= parts.length; i++) if (globMatches(glob, parts.slice(0, i).join('/'))) return true;
  }
  return false;
}
