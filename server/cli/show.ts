// `reglens check --show-files` and `--show-settings`: what a check would read, without checking anything, for
// debugging a configuration ("why is this file not checked?", "why is RG007 not reported here?").
import { isStandaloneConfig } from '../engine/config-files';
import { cacheDirectory, cacheTurnedOff } from './check-cache';
import * as path from 'node:path';
import { rules } from '../rules';
import type { CheckOptions } from './args';
import type { SettingsResolver } from './settings';

/** `--show-files`: the files a check would read, one per line, in the order they would be checked. */
export function showFiles(files: readonly { display: string }[]): string {
  return files.map((f) => `${f.display}\n`).join('');
}

/**
 * `--show-settings`: for one file, where its settings come from, whether `exclude` matches it, and each rule on or
 * off with its severity and what its fix counts as.
 */
export function showSettings(
  file: { display: string; absolute: string },
  resolver: SettingsResolver,
  options: CheckOptions,
  cwd: string,
  env: NodeJS.ProcessEnv,
): string {
  const source = resolver.sourceOf(file.absolute);
  const shown = (file: string) =>
    `${path.relative(cwd, file) || file}${isStandaloneConfig(file) ? '' : ' [tool.reglens]'}`;
  const extending = source.kind === 'defaults' ? '' : source.extending.map((f) => `, extending ${shown(f)}`).join('');
  const from =
    source.kind === 'file'
      ? `${shown(source.file)}${extending}`
      : source.kind === 'config'
        ? `${options.config} (--config)${extending}`
        : 'no .reglens.toml, reglens.toml or pyproject.toml with [tool.reglens]: the default rules';
  const flags = [
    options.select && `--select ${options.select.join(',')}`,
    options.ignore && `--ignore ${options.ignore.join(',')}`,
    options.fixable && `--fixable ${options.fixable.join(',')}`,
    options.unfixable && `--unfixable ${options.unfixable.join(',')}`,
  ].filter(Boolean);
  const lines = [
    `Settings for ${file.display}`,
    `  configuration: ${from}${flags.length > 0 ? `, with ${flags.join(' ')}` : ''}`,
    `  excluded: ${resolver.excluded(file.absolute) ? 'yes (checked only when named without --force-exclude)' : 'no'}`,
    `  cache: ${
      cacheTurnedOff(options.noCache, env)
        ? 'off (--no-cache or REGLENS_NO_CACHE)'
        : path.relative(cwd, cacheDirectory(options.cacheDir, env, cwd)) || '.'
    }`,
  ];
  const settings = resolver.forFile(file.absolute);
  if (settings.error !== undefined) return `${[...lines, `  error: ${settings.error}`].join('\n')}\n`;
  const width = Math.max(...rules.map((r) => r.meta.name.length));
  const { selection } = settings;
  lines.push('  rules (severity, then what its fix counts as):');
  for (const { meta } of rules) {
    if (!selection.enabled(meta.code)) {
      lines.push(`    ${meta.code} ${meta.name.padEnd(width)}  off`);
      continue;
    }
    const severity = selection.severityOf(meta.code, meta.defaultSeverity);
    const fix =
      meta.fix === 'none'
        ? 'no fix'
        : selection.fixable(meta.code)
          ? `${selection.applicabilityOf(meta.code, meta.fix)} fix`
          : 'unfixable';
    lines.push(`    ${meta.code} ${meta.name.padEnd(width)}  ${severity.padEnd(7)}  ${fix}`);
  }
  return `${lines.join('\n')}\n`;
}
