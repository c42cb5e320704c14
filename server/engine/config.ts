import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { Severity } from './types';

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
}

export type ConfigurationPreference = 'editorFirst' | 'filesystemFirst' | 'editorOnly';

export interface LoadedConfig {
  settings: RuleSettings;
  /** Folder of the pyproject.toml, against which per-file-ignores globs are matched. */
  root: string | null;
  /** A clear sentence when the file could not be used; the defaults apply then. */
  error?: string;
}

const SEVERITIES = new Set(['error', 'warning', 'info', 'hint']);
const CODE = /^(ALL|RG[0-9]{0,3})$/;

/** Nearest pyproject.toml from a folder upwards that has a `[tool.reglens]` table, or null. */
export function findPyproject(startDir: string): string | null {
  let dir = path.resolve(startDir);
  for (;;) {
    const candidate = path.join(dir, 'pyproject.toml');
    try {
      const text = fs.readFileSync(candidate, 'utf8');
      if (/^\s*\[\s*tool\.reglens\b/m.test(text)) return candidate;
    } catch {
      // Not there or unreadable: keep walking up.
    }
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

export function loadPyproject(file: string): LoadedConfig {
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
  return parsePyproject(text, file);
}

export function parsePyproject(text: string, file: string): LoadedConfig {
  const root = path.dirname(file);
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (e) {
    const first = String((e as Error).message).split('\n')[0];
    return { settings: {}, root, error: `${file}: invalid TOML (${first}); using the default rules.` };
  }
  const tool = (doc.tool as Record<string, unknown> | undefined)?.reglens;
  if (tool === undefined) return { settings: {}, root };
  const { settings, error } = validateSettings(tool, '[tool.reglens]');
  return error ? { settings: {}, root, error: `${file}: ${error}; using the default rules.` } : { settings, root };
}

/** Checks untrusted input (a TOML table or VS Code settings object). Keys may be kebab-case or camelCase. */
export function validateSettings(raw: unknown, where: string): { settings: RuleSettings; error?: string } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { settings: {}, error: `${where} must be a table` };
  const settings: RuleSettings = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    switch (key) {
      case 'select':
      case 'ignore': {
        const codes = codeList(value);
        if (typeof codes === 'string') return { settings: {}, error: `${where}.${key} ${codes}` };
        settings[key] = codes;
        break;
      }
      case 'per-file-ignores':
      case 'perFileIgnores': {
        if (typeof value !== 'object' || value === null || Array.isArray(value))
          return { settings: {}, error: `${where}.${key} must be a table of glob = ["RGxxx", …]` };
        const table: Record<string, string[]> = {};
        for (const [glob, list] of Object.entries(value)) {
          const codes = codeList(list);
          if (typeof codes === 'string') return { settings: {}, error: `${where}.${key}."${glob}" ${codes}` };
          table[glob] = codes;
        }
        settings.perFileIgnores = table;
        break;
      }
      case 'severity': {
        if (typeof value !== 'object' || value === null || Array.isArray(value))
          return {
            settings: {},
            error: `${where}.severity must be a table of RGxxx = "error" | "warning" | "info" | "hint"`,
          };
        const table: Record<string, Severity> = {};
        for (const [code, level] of Object.entries(value)) {
          const normalized = level === 'information' ? 'info' : level;
          if (!CODE.test(code)) return { settings: {}, error: `${where}.severity has an unknown rule code "${code}"` };
          if (typeof normalized !== 'string' || !SEVERITIES.has(normalized))
            return {
              settings: {},
              error:
                `${where}.severity.${code} must be "error", "warning", "info" or "hint", not ` +
                `${JSON.stringify(level)}`,
            };
          table[code] = normalized as Severity;
        }
        settings.severity = table;
        break;
      }
      case 'exclude': {
        if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.trim() !== ''))
          return {
            settings: {},
            error:
              `${where}.exclude must be a list of glob patterns such as "build" or "legacy/**", not ` +
              `${JSON.stringify(value)}`,
          };
        settings.exclude = value.map((v: string) => v.trim());
        break;
      }
      default:
        return {
          settings: {},
          error: `${where} has an unknown key "${key}" (expected select, ignore, per-file-ignores, severity, exclude)`,
        };
    }
  }
  return { settings };
}

function codeList(value: unknown): string[] | string {
  if (!Array.isArray(value)) return `must be a list of rule codes, not ${JSON.stringify(value)}`;
  const out: string[] = [];
  for (const v of value) {
    if (typeof v !== 'string' || !CODE.test(v.trim().toUpperCase()))
      return `has ${JSON.stringify(v)}, which is not a rule code or prefix such as "RG006" or "RG0"`;
    out.push(v.trim().toUpperCase());
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

  constructor(settings: RuleSettings, filePath?: string, root?: string | null) {
    this.select = settings.select?.length ? settings.select : ['ALL'];
    this.ignore = [...(settings.ignore ?? [])];
    this.severity = settings.severity ?? {};
    if (filePath && settings.perFileIgnores) {
      const rel = root ? path.relative(root, filePath) : filePath;
      for (const [glob, codes] of Object.entries(settings.perFileIgnores)) {
        if (globMatches(glob, rel) || (!glob.includes('/') && globMatches(glob, path.basename(filePath))))
          this.ignore.push(...codes);
      }
    }
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
