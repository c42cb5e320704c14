// Which rules apply to each file: its nearest configuration file (server/engine/config-files.ts; or --config's),
// with --select / --ignore / --fixable / --unfixable from the command line on top.
import * as path from 'node:path';
import {
  excludedBy,
  globRoot,
  isExcluded,
  RuleSelection,
  type LoadedConfig,
  type RuleSettings,
} from '../engine/config';
import { ConfigFiles, loadConfigFile } from '../engine/config-files';
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
  private readonly configFiles = new ConfigFiles(ruleCodes);

  constructor(
    private readonly flags: FlagSettings,
    private readonly explicit: LoadedConfig | null,
    private readonly exclusions: FlagExclusions | null = null,
  ) {}

  forFile(absolute: string): FileSettings {
    const discovered = this.explicit ? null : this.configFiles.forFile(absolute);
    if (discovered?.error)
      return { error: `invalid configuration: ${cliMessage(discovered.error)}`, configFile: discovered.file };
    const config = this.explicit ?? discovered ?? { settings: {}, root: null };
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
    const config = this.configFiles.forFile(absolute);
    if (!config) return { kind: 'defaults' };
    return { kind: 'file', file: config.file, extending: config.chain?.slice(1) ?? [] };
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
    return excludedBy(this.explicit ?? this.configFiles.forFile(absolute), absolute);
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
}
