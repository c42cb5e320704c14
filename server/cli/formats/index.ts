// The output formats of `reglens check`, one module each.
import type { OutputFormat } from '../args';
import type { CheckReport } from '../report';
import { formatFull } from './full';
import { formatGithub } from './github';
import { formatGitlab } from './gitlab';
import { formatJson } from './json';
import { formatSarif } from './sarif';
import { formatStatisticsJson } from './statistics';
import { formatText } from './text';

export function formatReport(
  format: OutputFormat,
  report: CheckReport,
  options: { color: boolean; statistics?: boolean; quiet?: boolean },
): string {
  // --fix-only reports what was fixed, not what remains: the text formats say so in their summary, the others list
  // no problem.
  if (report.fixOnly && format !== 'text' && format !== 'full') report = { ...report, diagnostics: [] };
  switch (format) {
    case 'json':
      return options.statistics ? formatStatisticsJson(report) : formatJson(report);
    case 'sarif':
      return formatSarif(report);
    case 'text':
      return formatText(report, options);
    case 'full':
      return formatFull(report, options);
    case 'github':
      return formatGithub(report);
    case 'gitlab':
      return formatGitlab(report);
  }
}
