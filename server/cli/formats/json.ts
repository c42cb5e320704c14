// JSON output, version 1. Lines and columns are 1-based; a column counts UTF-16 code units (character index + 1).
//
//   {"version":1,"diagnostics":[{"path","line","column","endLine","endColumn","code","name","severity","message",
//     "fix":{"applicability":"safe"|"unsafe","edits":[{"line","column","endLine","endColumn","content"}]}|null}],
//    "summary":{"checked","skipped","failed"}}
//
// In a notebook (`.ipynb`) a diagnostic also has "cell", the cell's position in the notebook's `cells` array
// counted from 1 as lines are (markdown cells counted), and its lines, columns and fix edits are within that cell.
// "summary" counts the files checked, the files not checked (each with a warning on stderr) and the files that
// failed (each with an error).
import type { Severity } from '../../engine/types';
import type { CheckReport } from '../report';

export interface JsonEdit {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  content: string;
}

export interface JsonDiagnostic {
  path: string;
  /** Notebooks only. */
  cell?: number;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  code: string;
  name: string;
  severity: Severity;
  message: string;
  fix: { applicability: 'safe' | 'unsafe'; edits: JsonEdit[] } | null;
}

export interface JsonReport {
  version: 1;
  diagnostics: JsonDiagnostic[];
  summary: { checked: number; skipped: number; failed: number };
}

export function toJsonReport(report: CheckReport): JsonReport {
  return {
    version: 1,
    diagnostics: report.diagnostics.map(({ path, cell, finding: f }) => ({
      path,
      ...(cell === undefined ? {} : { cell: cell + 1 }),
      line: f.range.start.line + 1,
      column: f.range.start.character + 1,
      endLine: f.range.end.line + 1,
      endColumn: f.range.end.character + 1,
      code: f.code,
      name: f.name,
      severity: f.severity,
      message: f.message,
      fix: f.fix
        ? {
            applicability: f.fix.applicability,
            edits: f.fix.edits.map((e) => ({
              line: e.range.start.line + 1,
              column: e.range.start.character + 1,
              endLine: e.range.end.line + 1,
              endColumn: e.range.end.character + 1,
              content: e.newText,
            })),
          }
        : null,
    })),
    summary: { checked: report.checked, skipped: report.skipped, failed: report.failed },
  };
}

export function formatJson(report: CheckReport): string {
  return `${JSON.stringify(toJsonReport(report), null, 2)}\n`;
}
