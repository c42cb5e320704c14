// GitHub Actions workflow commands: one `::error` / `::warning` / `::notice` line per finding, which a workflow run
// shows as an annotation on the file and line (and in the pull request's diff), as Ruff's `--output-format github`.
//
//   ::warning title=Reglens (RG006),file=model.py,line=11,col=13,endLine=11,endColumn=22::model.py:11:13: RG006 …
//
// A notebook finding names the file only: the annotation's lines would be the `.ipynb` JSON's, not the cell's; its
// cell, line and column are in the message, as in the text format.
import type { Severity } from '../../engine/types';
import { type CheckReport, reportedPath } from '../report';

const COMMAND: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'notice', hint: 'notice' };

/** A workflow command's message: `%`, CR and LF escaped. */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A workflow command's property value: also `:` and `,`, which separate properties. */
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function formatGithub(report: CheckReport): string {
  const lines: string[] = [];
  for (const diagnostic of report.diagnostics) {
    const { path: display, cell, finding } = diagnostic;
    const file = reportedPath(report, diagnostic);
    const { start, end } = finding.range;
    const at = `${start.line + 1}:${start.character + 1}`;
    const properties = [`title=${escapeProperty(`Reglens (${finding.code})`)}`, `file=${escapeProperty(file)}`];
    if (cell === undefined)
      properties.push(
        `line=${start.line + 1}`,
        `col=${start.character + 1}`,
        `endLine=${end.line + 1}`,
        `endColumn=${end.character + 1}`,
      );
    const where = cell === undefined ? `${display}:${at}` : `${display}:cell ${cell + 1}:${at}`;
    const message = `${where}: ${finding.code} ${finding.message}`;
    lines.push(`::${COMMAND[finding.severity]} ${properties.join(',')}::${escapeData(message)}`);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}
