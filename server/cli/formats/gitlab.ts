// GitLab Code Quality (`artifacts: reports: codequality:`), as Ruff's `--output-format gitlab`: a JSON array, one
// issue per finding, which the merge request widget lists and compares with the target branch's report.
//
//   [{"description": "RG006: `F.dropout` drops values in evaluation too: …", "check_name": "RG006",
//     "fingerprint": "…", "severity": "minor", "location": {"path": "src/model.py", "lines": {"begin": 11}}}]
//
// The fingerprint is what GitLab matches issues by across the two reports: it is made of the path, the code and the
// message, not the line, so a finding does not read as fixed and new again when code above it moves, and the
// findings that share all three are told apart by their order in the file. A notebook finding is placed on the
// notebook's first line (GitLab reads the lines of the `.ipynb` JSON, not of a cell); its cell, line and column are in
// the description.
import { createHash } from 'node:crypto';
import type { Severity } from '../../engine/types';
import { type CheckReport, reportedPath } from '../report';

const SEVERITY: Record<Severity, string> = { error: 'major', warning: 'minor', info: 'info', hint: 'info' };

export function formatGitlab(report: CheckReport): string {
  const seen = new Map<string, number>();
  const issues = report.diagnostics.map((diagnostic) => {
    const { cell, finding } = diagnostic;
    const file = reportedPath(report, diagnostic);
    const { start, end } = finding.range;
    const where =
      cell === undefined ? '' : ` (cell ${cell + 1}, line ${start.line + 1}, column ${start.character + 1})`;
    const key = `${file}\u0000${finding.code}\u0000${finding.message}`;
    const occurrence = seen.get(key) ?? 0;
    seen.set(key, occurrence + 1);
    return {
      description: `${finding.code}: ${finding.message}${where}`,
      check_name: finding.code,
      fingerprint: createHash('md5').update(`${key}\u0000${occurrence}`).digest('hex'),
      severity: SEVERITY[finding.severity],
      location: {
        path: file,
        lines: cell === undefined ? { begin: start.line + 1, end: end.line + 1 } : { begin: 1 },
      },
    };
  });
  return `${JSON.stringify(issues, null, 2)}\n`;
}
