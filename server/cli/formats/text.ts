// Ruff-style text output: one line per finding, then a summary.
//
//   model.py:11:13: RG006 [*] `F.dropout` drops values in evaluation too: ...
//   train.ipynb:cell 5:10:3: RG006 …   (a notebook: index in its `cells` array, then line and column in the cell)
//   Found 2 problems.
//   [*] 1 fixable with the --fix option.
//   (1 hidden fix can be enabled with the --unsafe-fixes option.)
import type { Finding } from '../../engine/types';
import type { CheckReport } from '../report';

const ESC = '\u001b[';
const style = (on: boolean, codes: string, text: string) => (on ? `${ESC}${codes}m${text}${ESC}0m` : text);

/** A fix `--fix` would apply now: safe ones, and unsafe ones too under --unsafe-fixes. */
export function isFixable(finding: Finding, unsafeFixes: boolean): boolean {
  return !!finding.fix && (finding.fix.applicability === 'safe' || unsafeFixes);
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function formatText(report: CheckReport, { color }: { color: boolean }): string {
  const lines: string[] = [];
  let fixable = 0;
  let hidden = 0;
  for (const { path, cell, finding } of report.diagnostics) {
    const canFix = isFixable(finding, report.unsafeFixes);
    if (canFix) fixable++;
    else if (finding.fix) hidden++;
    const inCell = cell === undefined ? '' : `${style(color, '36', ':')}cell ${cell}`;
    const colon = style(color, '36', ':');
    const { line, character } = finding.range.start;
    const where = `${style(color, '1', path)}${inCell}${colon}${line + 1}${colon}${character + 1}${colon}`;
    const mark = canFix ? `${style(color, '36', '[*]')} ` : '';
    lines.push(`${where} ${style(color, '1;31', finding.code)} ${mark}${finding.message}`);
  }
  const remaining = report.diagnostics.length;
  const total = remaining + report.fixed;
  if (total === 0) {
    lines.push(style(color, '32', 'All checks passed!'));
  } else {
    const found = `Found ${plural(total, 'problem', 'problems')}`;
    lines.push(
      report.fixMode && report.fixed > 0 ? `${found} (${report.fixed} fixed, ${remaining} remaining).` : `${found}.`,
    );
    if (fixable > 0) lines.push(`${style(color, '36', '[*]')} ${fixable} fixable with the --fix option.`);
    if (hidden > 0)
      lines.push(`(${plural(hidden, 'hidden fix', 'hidden fixes')} can be enabled with the --unsafe-fixes option.)`);
  }
  return `${lines.join('\n')}\n`;
}
