import * as fs from 'node:fs';
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
  type LoadedConfig,
  type RuleSettings,
} from '../engine/config';
import { type ConfigFiles, expandPath } from '../engine/config-files';
import { ruleCodes } from '../rules';

/** The `reglens` settings section after validation. */
export interface EditorSettings {
  enable: boolean;
  preference: ConfigurationPreference;
  /**
   * `reglens.configuration`: a reglens.toml or pyproject.toml used for every file instead of the nearest one, as
   * `reglens check --config` (and Ruff's `ruff.configuration`); `~`, `$VAR` and `${workspaceFolder}` are expanded,
   * and a relative path is read from the workspace folder.
   */
  configuration: string | null;
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
  const result: EditorSettings = {
    enable: true,
    preference: 'editorFirst',
    configuration: null,
    rules: {},
    errors: [],
  };
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
  const configuration = section.configuration;
  if (typeof configuration === 'string' && configuration.trim() !== '') result.configuration = configuration.trim();
  else if (configuration !== undefined && configuration !== null && configuration !== '')
    result.errors.push(
      `Reglens: reglens.configuration must be the path of a reglens.toml or pyproject.toml, not ` +
        `${JSON.stringify(configuration)}; the configuration files are looked for as usual.`,
    );
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
  const loaded =
    editor.preference === 'editorOnly' ? null : configurationOf(fsPath, folder, editor, configFiles).loaded;
  return excludedWith(fsPath, folder, editor, loaded);
}

/** `isExcludedFile` with the file's configuration already looked up (null: none, or not read under `editorOnly`). */
function excludedWith(fsPath: string, folder: string | null, editor: EditorSettings, loaded: LoadedConfig | null) {
  if (folder !== null && isExcluded(path.relative(folder, fsPath), editor.rules.exclude)) return true;
  return excludedBy(loaded, fsPath);
}

/**
 * The configuration file a file's settings come from: the one `reglens.configuration` names, else the nearest one.
 * A `reglens.configuration` that cannot be used is said, and the nearest one applies.
 */
function configurationOf(
  fsPath: string,
  folder: string | null,
  editor: EditorSettings,
  configFiles: ConfigFiles,
): { loaded: (LoadedConfig & { file: string }) | null; error?: string } {
  const given = editor.configuration;
  if (given === null) return { loaded: configFiles.forFile(fsPath) };
  const base = folder ?? path.dirname(fsPath);
  // VS Code's own variable, as Ruff's extension reads it in `ruff.configuration`.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the text a user writes in the setting
  const expanded = expandPath(given.replaceAll('${workspaceFolder}', base));
  const asUsual = 'the configuration files are looked for as usual';
  if ('unset' in expanded)
    return {
      loaded: configFiles.forFile(fsPath),
      error: `Reglens: reglens.configuration names ${given}, but $${expanded.unset} is not set; ${asUsual}.`,
    };
  const file = path.resolve(base, expanded.path);
  if (!fs.existsSync(file))
    return {
      loaded: configFiles.forFile(fsPath),
      error: `Reglens: reglens.configuration names ${file}, which does not exist; ${asUsual}.`,
    };
  return { loaded: configFiles.named(file) };
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
  let loaded: (LoadedConfig & { file: string }) | null = null;
  if (fsPath && editor.preference !== 'editorOnly') {
    const found = configurationOf(fsPath, folder, editor, configFiles);
    loaded = found.loaded;
    if (found.error) errors.push(found.error);
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
  const excluded = fsPath !== null && excludedWith(fsPath, folder, editor, loaded);
  return {
    enable: editor.enable && !excluded,
    excluded,
    selection: new RuleSelection(settings, fsPath ?? undefined, root),
    configFile,
    errors,
  };
}
