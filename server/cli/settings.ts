// Which rules apply to each file: its nearest configuration file (server/engine/config-files.ts; or --config's),
// with --select / --ignore / --fixable / --unfixable from the command line on top.
import * as path from 'node:path';
import { globRoot, isExcluded, RuleSelection, type LoadedConfig, type RuleSettings } from '../engine/config';
import { findConfigFile, loadConfigFile } from '../engine/config-files';
import { ruleCodes } from '../rules';

export interface FlagSettings {
  select?: string[];
  ignore?: string[];
  fixable?: string[];
  unfixable?: string[];
}

/** `--exclude` (replaces every pyproject's `exclude`) and `--extend-exclude` (adds to it), relative to `base`. */
export interface FlagExclusions {
  exclude?: string[];
  extendExclude?: string[];
  base: string;
}

export type FileSettings =
  | { selection: RuleSelection; error?: undefined }
  | { selection?: undefined; error: string; configFile: string };

/** The engine's messages end with what the editor does about a bad file; the CLI stops instead. */
function cliMessage(error: string): string {
  return error.replace(/;\s*using the default rules\.?$/, '');
}

/** Loads `--config PATH`; returns the error line when it cannot be used. */
export function loadExplicitConfig(
  file: string,
  cwd: string,
): { config: LoadedConfig; error?: undefined } | { config?: undefined; error: string } {
  const absolute = path.resolve(cwd, file);
  const config = loadConfigFile(absolute, ruleCodes);
  if (config.error) return { error: `invalid configuration: ${cliMessage(config.error)}` };
  return { config };
}

export class SettingsResolver {
  /** Folder → the configuration file that governs it (null: none). */
  private readonly nearest = new Map<string, string | null>();
  private readonly loaded = new Map<string, LoadedConfig>();

  constructor(
    private readonly flags: FlagSettings,
    private readonly explicit: LoadedConfig | null,
    private readonly exclusions: FlagExclusions | null = null,
  ) {}

  forFile(absolute: string): FileSettings {
    let config: LoadedConfig;
    let configFile: string | null;
    if (this.explicit) {
      config = this.explicit;
      configFile = null;
    } else {
      configFile = this.configFileFor(path.dirname(absolute));
      config = configFile ? this.load(configFile) : { settings: {}, root: null };
      if (config.error) return { error: `invalid configuration: ${cliMessage(config.error)}`, configFile: configFile! };
    }
    return {
      selection: new RuleSelection(this.merge(config.settings), absolute, globRoot(config, 'perFileIgnores')),
    };
  }

  /** Where a file's settings come from: its configuration file, `--config`'s, or none (the default rules). */
  sourceOf(
    absolute: string,
  ):
    | { kind: 'file'; file: string; extending: string[] }
    | { kind: 'config'; extending: string[] }
    | { kind: 'defaults' } {
    if (this.explicit) return { kind: 'config', extending: this.explicit.chain?.slice(1) ?? [] };
    const file = this.configFileFor(path.dirname(absolute));
    if (!file) return { kind: 'defaults' };
    return { kind: 'file', file, extending: this.load(file).chain?.slice(1) ?? [] };
  }

  /**
   * A file or folder that its pyproject's `exclude` (or --config's) leaves out, or --exclude / --extend-exclude: met
   * while walking, or named on the command line under --force-exclude.
   */
  excluded(absolute: string): boolean {
    const flags = this.exclusions;
    if (flags) {
      const relative = path.relative(flags.base, absolute);
      if (isExcluded(relative, flags.extendExclude)) return true;
      if (flags.exclude) return isExcluded(relative, flags.exclude);
    }
    const configFile = this.explicit ? null : this.configFileFor(path.dirname(absolute));
    const config = this.explicit ?? (configFile ? this.load(configFile) : null);
    const root = config && !config.error ? globRoot(config, 'exclude') : null;
    return root !== null && isExcluded(path.relative(root, absolute), config!.settings.exclude);
  }

  private merge(settings: RuleSettings): RuleSettings {
    return {
      ...settings,
      select: this.flags.select ?? settings.select,
      ignore: this.flags.ignore ?? settings.ignore,
      fixable: this.flags.fixable ?? settings.fixable,
      unfixable: this.flags.unfixable ?? settings.unfixable,
    };
  }

  private configFileFor(dir: string): string | null {
    let found = this.nearest.get(dir);
    if (found === undefined) {
      found = findConfigFile(dir);
      this.nearest.set(dir, found);
    }
    return found;
  }

  private load(file: string): LoadedConfig {
    let config = this.loaded.get(file);
    if (!config) {
      config = loadConfigFile(file, ruleCodes);
      this.loaded.set(file, config);
    }
    return config;
  }
}
