// `--output-format full`, as Ruff's: each finding's line, then the code it is about with its range underlined and the
// fix `--fix` (or the editor) would apply; the same closing lines as the text format.
//
//   model.py:11:13: RG006 warning: [*] `F.dropout` drops values in evaluation too: …
//      |
//    9 |     def forward(self, x):
//   10 |         x = self.fc(x)
//   11 |         x = F.dropout(x, 0.1)
//      |             ^^^^^^^^^^^^^^^^^ RG006
//   12 |         return x
//      |
//      = help: Pass `training=self.training`
import type { Position, Range } from '../../engine/types';
import type { CheckReport, Diagnostic } from '../report';
import type { SourceExcerpt } from '../source-excerpt';
import { closing, fixSummary, headline, SEVERITY_STYLE, style } from './text';

export function formatFull(report: CheckReport, { color, quiet = false }: { color: boolean; quiet?: boolean }): string {
  const shown = report.fixOnly ? [] : report.diagnostics;
  const blocks = shown.map((d) => [headline(d, report, color), ...frame(d, color)].join('\n'));
  const fixes = fixSummary(report);
  if (quiet) return [...blocks.map((b) => `${b}\n\n`), ...fixes.map((line) => `${line}\n`)].join('');
  return `${[...blocks.map((b) => `${b}\n`), ...fixes, ...closing(report, color)].join('\n')}\n`;
}

/** The excerpt with the range underlined, and the fix's title; nothing when the excerpt was not kept. */
function frame({ finding, excerpt }: Diagnostic, color: boolean): string[] {
  if (!excerpt || excerpt.lines.length === 0) return [];
  const width = String(excerpt.lines[excerpt.lines.length - 1].line + 1).length;
  const gutter = (label: string) => style(color, '1;34', `${label.padStart(width)} |`);
  const cut = excerpt.column > 0 ? '…' : '';
  const spans = underlined(finding.range.start, lastPosition(finding.range, excerpt), excerpt);
  const last = [...spans.keys()].pop();
  const out = [gutter('')];
  let previous: number | undefined;
  for (const { line, text, more } of excerpt.lines) {
    if (previous !== undefined && line > previous + 1) out.push(style(color, '1;34', `${'.'.repeat(width)} |`));
    previous = line;
    out.push(`${gutter(String(line + 1))} ${cut}${text}${more ? '…' : ''}`.trimEnd());
    const span = spans.get(line);
    if (!span) continue;
    // Tabs stay tabs under a tab, so the carets line up however the terminal expands them.
    const pad = cut + text.slice(0, span.from).replace(/[^\t]/g, ' ');
    const marks = '^'.repeat(span.to - span.from) + (line === last ? ` ${finding.code}` : '');
    out.push(`${gutter('')} ${pad}${style(color, SEVERITY_STYLE[finding.severity], marks)}`);
  }
  out.push(gutter(''));
  if (finding.fix) out.push(`${' '.repeat(width)} ${style(color, '1', '= help:')} ${finding.fix.title}`);
  return out;
}

/** By line shown: the columns of its text the range covers (an empty range: one caret where it starts). */
function underlined(start: Position, end: Position, excerpt: SourceExcerpt): Map<number, { from: number; to: number }> {
  const spans = new Map<number, { from: number; to: number }>();
  for (const { line, text } of excerpt.lines) {
    if (line < start.line || line > end.line) continue;
    const from = (line === start.line ? start.character : excerpt.column + indentOf(text)) - excerpt.column;
    const to = (line === end.line ? end.character : excerpt.column + text.length) - excerpt.column;
    const a = Math.max(0, Math.min(from, text.length));
    const b = Math.max(a + (line === start.line ? 1 : 0), Math.min(to, text.length));
    if (b > a) spans.set(line, { from: a, to: b });
  }
  return spans;
}

/** A range that ends at the start of a line ends, as shown, at the end of the line before. */
function lastPosition({ start, end }: Range, excerpt: SourceExcerpt): Position {
  if (end.character > 0 || end.line === start.line) return end;
  const before = excerpt.lines.find((l) => l.line === end.line - 1);
  return { line: end.line - 1, character: before ? excerpt.column + before.text.length : 0 };
}

/** Where the code of a shown line starts. */
function indentOf(text: string): number {
  return /^\s*/.exec(text)![0].length;
}
