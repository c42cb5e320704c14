// The output formats of `reglens check`, one module each.
import type { OutputFormat } from '../args';
import type { CheckReport } from '../report';
import { formatGithub } from './github';
import { formatJson } from './json';
import { formatSarif } from './sarif';
import { formatText } from './text';

export function formatReport(format: OutputFormat, report: CheckReport, options: { color: boolean }): string {
  switch (format) {
    case 'json':
      return formatJson(report);
    case 'sarif':
      return formatSarif(report);
    case 'text':
      return formatText(report, options);
    case 'github':
      return formatGithub(report);
  }
}
