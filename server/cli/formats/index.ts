// The output formats of `reglens check`, one module each.
import { HUMAN_FORMATS, type OutputFormat } from '../args';
import type { CheckReport } from '../report';
import { formatFull } from './full';
import { formatGithub } from './github';
import { formatGitlab } from './gitlab';
import { formatGrouped } from './grouped';
import { formatJson } from './json';
import { formatJunit } from './junit';
import { formatAzure, formatJsonLines, formatPylint } from './lines';
import { formatRdjson } from './rdjson';
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
  if (report.fixOnly && !HUMAN_FORMATS.has(format)) report = { ...report, diagnostics: [] };
  switch (format) {
    case 'json':
      return options.statistics ? formatStatisticsJson(report) : formatJson(report);
    case 'sarif':
      return formatSarif(report);
    case 'text':
      return formatText(report, options);
    case 'full':
      return formatFull(report, options);
    case 'grouped':
      return formatGrouped(report, options);
    case 'json-lines':
      return formatJsonLines(report);
    case 'junit':
      return formatJunit(report);
    case 'rdjson':
      return formatRdjson(report);
    case 'azure':
      return formatAzure(report);
    case 'pylint':
      return formatPylint(report);
    case 'github':
      return formatGithub(report);
    case 'gitlab':
      return formatGitlab(report);
  }
}
