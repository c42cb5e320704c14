// Problems grouped by file, as Ruff's `--output-format grouped`: the file's path once, then each problem's place,
// code and message, the places aligned; then the text format's summary.
//
//   model.py:
//     8:9  RG007 warning: `self.drop` (Dropout) is created in `__init__` but never used, …
//    11:13 RG006 warning: [*] `F.dropout` drops values in evaluation too: …
import { byFile, isFixable, type CheckReport, type Diagnostic } from '../report';
import { closing, fixSummary, SEVERITY_STYLE, style } from './text';

function place({ cell, finding }: Diagnostic): string {
  const at = `${finding.range.start.line + 1}:${finding.range.start.character + 1}`;
  return cell === undefined ? at : `cell ${cell + 1}:${at}`;
}

export function formatGrouped(
  report: CheckReport,
  { color, quiet = false }: { color: boolean; quiet?: boolean },
): string {
  const lines: string[] = [];
  for (const [file, diagnostics] of byFile(report.fixOnly ? [] : report.diagnostics, (d) => d.path)) {
    lines.push(`${style(color, '1', file)}:`);
    // Right-aligned on the colon between line and column, as Ruff aligns them.
    const places = diagnostics.map(place);
    const before = Math.max(...places.map((p) => p.lastIndexOf(':')));
    const width = Math.max(...places.map((p) => p.length - p.lastIndexOf(':')));
    diagnostics.forEach((d, i) => {
      const p = places[i];
      const colon = p.lastIndexOf(':');
      const aligned = `${' '.repeat(before - colon)}${p}${' '.repeat(width - (p.length - colon))}`;
      const { finding } = d;
      const code = style(color, SEVERITY_STYLE[finding.severity], finding.code);
      const mark = isFixable(finding, report.unsafeFixes) ? `${style(color, '36', '[*]')} ` : '';
      lines.push(`  ${aligned} ${code} ${finding.severity}: ${mark}${finding.message}`);
    });
    lines.push('');
  }
  lines.push(...fixSummary(report));
  if (!quiet) lines.push(...closing(report, color));
  return lines.map((line) => `${line}\n`).join('');
}
