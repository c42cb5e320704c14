// The line-oriented formats other tools parse, each as Ruff writes it: `pylint` (`path:line: [CODE] message`, for
// editors and tools that read Pylint's parseable output), `azure` (Azure Pipelines logging commands, which annotate
// the run) and `json-lines` (one JSON diagnostic per line, as the `json` format's, for streaming consumers).
//
// These formats place a problem on a line of the file: a notebook problem is placed on the notebook's first line
// (its lines are the `.ipynb` JSON's, not a cell's), with its cell, line and column at the start of the message, as
// the `github` format does.
import type { Severity } from '../../engine/types';
import { type CheckReport, type Diagnostic, messageOnFile, reportedPath } from '../report';
import { toJsonReport } from './json';

/** The line and column a line-oriented format gives, and the message (messageOnFile). */
function placed(d: Diagnostic): { line: number; column: number; message: string } {
  const { line, character } = d.finding.range.start;
  const inCell = d.cell !== undefined;
  return { line: inCell ? 1 : line + 1, column: inCell ? 1 : character + 1, message: messageOnFile(d) };
}

/** One line of text per message: a line break inside one would start a new record. */
const oneLine = (text: string) => text.replace(/\r\n|\r|\n/g, ' ');

export function formatPylint(report: CheckReport): string {
  return report.diagnostics
    .map((d) => {
      const { line, message } = placed(d);
      return `${reportedPath(report, d)}:${line}: [${d.finding.code}] ${oneLine(message)}\n`;
    })
    .join('');
}

/** Azure Pipelines logs an issue as an error or a warning; information is a warning there. */
const AZURE_TYPE: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'warning', hint: 'warning' };

/** A logging command's property value: `;` ends a property and `]` the properties. */
function azureProperty(text: string): string {
  return text
    .replace(/%/g, '%25')
    .replace(/;/g, '%3B')
    .replace(/\]/g, '%5D')
    .replace(/\r/g, '%0D')
    .replace(/\n/g, '%0A');
}

export function formatAzure(report: CheckReport): string {
  return report.diagnostics
    .map((d) => {
      const { line, column, message } = placed(d);
      const properties = [
        `type=${AZURE_TYPE[d.finding.severity]}`,
        `sourcepath=${azureProperty(reportedPath(report, d))}`,
        `linenumber=${line}`,
        `columnnumber=${column}`,
        `code=${d.finding.code}`,
      ];
      return `##vso[task.logissue ${properties.join(';')};]${oneLine(message)}\n`;
    })
    .join('');
}

export function formatJsonLines(report: CheckReport): string {
  return toJsonReport(report)
    .diagnostics.map((d) => `${JSON.stringify(d)}\n`)
    .join('');
}
