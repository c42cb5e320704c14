import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  combineSettings,
  excludedBy,
  globRoot,
  isExcluded,
  RuleSelection,
  validateSettings,
  type ConfigurationPreference,
  type RuleSettings,
} from '../engine/config';
import type { ConfigFiles } from '../engine/config-files';
import { ruleCodes } from '../rules';

/** The `reglens` settings section after validation. */
export interface EditorSettings {
  enable: boolean;
  preference: ConfigurationPreference;
  rules: RuleSettings;
  /** Problems found in the raw settings; the affected values fall back to their defaults. */
  errors: string[];
}

/** What one document is analysed with. */
export interface DocumentConfig {
  /** Check the document: `reglens.enable`, and the document is not excluded. */
  enable: boolean;
  /** `exclude` (the pyproject's or `reglens.exclude`) matches the document: no diagnostics, as in Ruff's server. */
  excluded: boolean;
  selection: RuleSelection;
  /** The configuration file that applies (a reglens.toml, or a pyproject.toml's [tool.reglens]), if any. */
  configFile: string | null;
  /** Messages for the user (invalid settings, invalid pyproject.toml); shown once each. */
  errors: string[];
}

const PREFERENCES: readonly ConfigurationPreference[] = ['editorFirst', 'filesystemFirst', 'editorOnly'];
/** Keys of the `reglens` section that are rule settings, in the spelling validateSettings expects. */
const RULE_KEYS = ['select', 'ignore', 'severity', 'perFileIgnores', 'exclude'] as const;

/**
 * Validates the raw `reglens` section (from workspace/configuration, initializationOptions or didChangeConfiguration).
 */
export function readEditorSettings(raw: unknown): EditorSettings {
  const result: EditorSettings = { enable: true, preference: 'editorFirst', rules: {}, errors: [] };
  if (raw === undefined || raw === null) return result;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    result.errors.push(
      `Reglens: the "reglens" settings must be an object, not ${JSON.stringify(raw)}; using the defaults.`,
    );
    return result;
  }
  const section = raw as Record<string, unknown>;
  if (section.enable !== undefined && section.enable !== null) {
    if (typeof section.enable === 'boolean') result.enable = section.enable;
    else
      result.errors.push(
        `Reglens: reglens.enable must be true or false, not ${JSON.stringify(section.enable)}; Reglens stays enabled.`,
      );
  }
  const preference = section.configurationPreference;
  if (preference !== undefined && preference !== null) {
    if (typeof preference === 'string' && (PREFERENCES as readonly string[]).includes(preference))
      result.preference = preference as ConfigurationPreference;
    else
      result.errors.push(
        `Reglens: reglens.configurationPreference must be one of ${PREFERENCES.map((p) => `"${p}"`).join(', ')}, ` +
          `not ${JSON.stringify(preference)}; using "editorFirst".`,
      );
  }
  const picked: Record<string, unknown> = {};
  for (const key of RULE_KEYS) {
    const value = section[key];
    if (value !== undefined && value !== null) picked[key] = value;
  }
  const { settings, error } = validateSettings(picked, 'reglens', ruleCodes);
  if (error) result.errors.push(`Reglens: invalid setting: ${error}; using the default rules.`);
  else result.rules = settings;
  return result;
}

/**
 * The local path of a document, for pyproject.toml lookup and per-file-ignores; null for untitled and other schemes.
 */
export function documentPath(uri: string): string | null {
  if (!uri.startsWith('file:')) return null;
  try {
    return fileURLToPath(uri);
  } catch {
    return null;
  }
}

/**
 * Whether `reglens.exclude` (globs relative to the workspace folder) or the pyproject's `exclude` (relative to its
 * folder; not under `editorOnly`) leaves a file out: of the workspace index and Check Workspace, and of diagnostics
 * when it is open.
 */
export function isExcludedFile(
  fsPath: string,
  folder: string | null,
  editor: EditorSettings,
  configFiles: ConfigFiles,
): boolean {
  if (folder !== null && isExcluded(path.relative(folder, fsPath), editor.rules.exclude)) return true;
  if (editor.preference === 'editorOnly') return false;
  return excludedBy(configFiles.forFile(fsPath), fsPath);
}

/**
 * Combines validated editor settings with the document's pyproject.toml, as `reglens.configurationPreference` says;
 * `folder` is the workspace folder the document is in (null: none), which `reglens.exclude` is relative to.
 */
export function resolveDocumentConfig(
  uri: string,
  editor: EditorSettings,
  configFiles: ConfigFiles,
  folder: string | null = null,
): DocumentConfig {
  const errors = [...editor.errors];
  const fsPath = documentPath(uri);
  let filesystem: RuleSettings = {};
  let root: string | null = null;
  let configFile: string | null = null;
  if (fsPath && editor.preference !== 'editorOnly') {
    const loaded = configFiles.forFile(fsPath);
    if (loaded) {
      configFile = loaded.file;
      if (loaded.error) errors.push(`Reglens: ${loaded.error}`);
      else {
        filesystem = loaded.settings;
        root = globRoot(loaded, 'perFileIgnores');
      }
    }
  }
  const settings = combineSettings(editor.rules, filesystem, editor.preference);
  const excluded = fsPath !== null && isExcludedFile(fsPath, folder, editor, configFiles);
  return {
    enable: editor.enable && !excluded,
    excluded,
    selection: new RuleSelection(settings, fsPath ?? undefined, root),
    configFile,
    errors,
  };
}
