// Reviewdog's Diagnostic Format (rdjson), as Ruff's `--output-format rdjson`: reviewdog posts each diagnostic as a
// review comment on the pull request's diff, and a fix `--fix` would apply (a safe one; an unsafe one too under
// --unsafe-fixes) as a suggested change. Lines and columns are 1-based. A notebook problem is placed on the
// notebook's first line with its cell, line and column in the message, and has no suggestion (its fix is in a
// cell's coordinates, not the `.ipynb` JSON's).
import { PROJECT_URL, ruleDocsUrl } from '../../engine/project';
import type { Range, Severity } from '../../engine/types';
import { type CheckReport, type Diagnostic, isFixable, messageOnFile, reportedPath } from '../report';

const SEVERITY: Record<Severity, string> = { error: 'ERROR', warning: 'WARNING', info: 'INFO', hint: 'INFO' };

function rdRange(range: Range) {
  return {
    start: { line: range.start.line + 1, column: range.start.character + 1 },
    end: { line: range.end.line + 1, column: range.end.character + 1 },
  };
}

function diagnostic(report: CheckReport, d: Diagnostic) {
  const { finding, cell } = d;
  const inCell = cell !== undefined;
  const top = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  return {
    message: messageOnFile(d),
    location: { path: reportedPath(report, d), range: rdRange(inCell ? top : finding.range) },
    severity: SEVERITY[finding.severity],
    code: { value: finding.code, url: ruleDocsUrl(finding.code) },
    ...(finding.fix && !inCell && isFixable(finding, report.unsafeFixes)
      ? { suggestions: finding.fix.edits.map((e) => ({ range: rdRange(e.range), text: e.newText })) }
      : {}),
  };
}

export function formatRdjson(report: CheckReport): string {
  const result = {
    source: { name: 'reglens', url: PROJECT_URL },
    severity: 'WARNING',
    diagnostics: report.diagnostics.map((d) => diagnostic(report, d)),
  };
  return `${JSON.stringify(result, null, 2)}\n`;
}
