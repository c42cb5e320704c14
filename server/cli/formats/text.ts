// Ruff-style text output: one line per finding, then a summary.
//
//   model.py:11:13: RG006 warning: [*] `F.dropout` drops values in evaluation too: ...
//   train.ipynb:cell 6:10:3: RG006 …   (a notebook: its cell, numbered from 1 in the `cells` array, then line and
//                                       column in the cell)
//   Found 2 problems.
//   [*] 1 fixable with the --fix option.
//   (1 hidden fix can be enabled with the --unsafe-fixes option.)
//   Checked 4 files; 1 file not checked (see the messages above).
//
// With --fix-only the problems left are not listed: the summary says what was fixed and how many remain. With
// --show-fixes the fixes applied are listed before the summary, per file and rule, as Ruff lists them.
import type { Finding } from '../../engine/types';
import { ruleByCode } from '../../rules';
import { isFixable, type CheckReport, type Diagnostic } from '../report';
import { statisticsLines } from './statistics';

const ESC = '\u001b[';
export const style = (on: boolean, codes: string, text: string) => (on ? `${ESC}${codes}m${text}${ESC}0m` : text);

export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export const SEVERITY_STYLE: Record<Finding['severity'], string> = {
  error: '1;31',
  warning: '1;33',
  info: '1;34',
  hint: '2',
};

/** `statistics`: the count of each rule's problems (statistics.ts) instead of each problem; `quiet`: no summary. */
export function formatText(
  report: CheckReport,
  { color, statistics = false, quiet = false }: { color: boolean; statistics?: boolean; quiet?: boolean },
): string {
  const lines: string[] = statistics
    ? statisticsLines(report)
    : report.fixOnly
      ? []
      : report.diagnostics.map((d) => headline(d, report, color));
  lines.push(...fixSummary(report));
  if (!quiet) lines.push(...closing(report, color));
  return lines.map((line) => `${line}\n`).join('');
}

/** A finding's line: `model.py:11:13: RG006 warning: [*] …`. */
export function headline({ path, cell, finding }: Diagnostic, report: CheckReport, color: boolean): string {
  const colon = style(color, '36', ':');
  // Cells are numbered from 1, as lines and columns are (and as Ruff numbers them).
  const inCell = cell === undefined ? '' : `${colon}cell ${cell + 1}`;
  const { line, character } = finding.range.start;
  const where = `${style(color, '1', path)}${inCell}${colon}${line + 1}${colon}${character + 1}${colon}`;
  const code = style(color, SEVERITY_STYLE[finding.severity], finding.code);
  const mark = isFixable(finding, report.unsafeFixes) ? `${style(color, '36', '[*]')} ` : '';
  return `${where} ${code} ${finding.severity}: ${mark}${finding.message}`;
}

/**
 * --show-fixes: "Fixed 3 problems:", then each file with a fix, and under it each rule's count (an empty list when
 * nothing was fixed, which the summary says).
 */
export function fixSummary(report: CheckReport): string[] {
  if (!report.showFixes || report.fixed === 0) return [];
  const lines = [`Fixed ${plural(report.fixed, 'problem', 'problems')}:`];
  for (const { path, byCode } of report.fixedFiles) {
    lines.push(`- ${path}:`);
    for (const [code, count] of Object.entries(byCode).sort(([a], [b]) => a.localeCompare(b)))
      lines.push(`    ${count} × ${code} (${ruleByCode.get(code)?.meta.name ?? 'unknown rule'})`);
  }
  return lines;
}

/** What follows the findings: how many, how many --fix fixes, and what was checked. */
export function closing(report: CheckReport, color: boolean): string[] {
  if (report.fixOnly) return fixOnlyClosing(report, color);
  const lines: string[] = [];
  const remaining = report.diagnostics.length;
  const total = remaining + report.fixed;
  if (total > 0) {
    const fixable = report.diagnostics.filter(({ finding }) => isFixable(finding, report.unsafeFixes)).length;
    const found = `Found ${plural(total, 'problem', 'problems')}`;
    lines.push(
      report.fixMode && report.fixed > 0 ? `${found} (${report.fixed} fixed, ${remaining} remaining).` : `${found}.`,
    );
    // Unsafe fixes count only when --fix would apply them, that is with --unsafe-fixes; say both options then.
    const how = report.unsafeFixes ? 'the --fix and --unsafe-fixes options' : 'the --fix option';
    if (fixable > 0) lines.push(`${style(color, '36', '[*]')} ${fixable} fixable with ${how}.`);
    lines.push(...hiddenFixes(report));
  }
  lines.push(coverage(report, total, color));
  return lines;
}

/** --fix-only: what was fixed, how many problems remain (unlisted), the fixes left out, and what was checked. */
function fixOnlyClosing(report: CheckReport, color: boolean): string[] {
  const files = report.fixedFiles.length;
  const remaining = report.diagnostics.length;
  const lines = [
    report.fixed > 0
      ? `Fixed ${plural(report.fixed, 'problem', 'problems')} in ${plural(files, 'file', 'files')}.`
      : 'No problems fixed.',
  ];
  if (remaining > 0)
    lines.push(
      `${plural(remaining, 'problem remains', 'problems remain')} (\`reglens check\` without --fix-only lists them).`,
    );
  lines.push(...hiddenFixes(report));
  lines.push(coverage(report, report.fixed + remaining, color));
  return lines;
}

/** "(2 hidden fixes can be enabled with the --unsafe-fixes option.)" when fixes are left out: text and --diff. */
export function hiddenFixes(report: CheckReport): string[] {
  const hidden = report.diagnostics.filter(({ finding }) => finding.fix && !isFixable(finding, report.unsafeFixes));
  if (hidden.length === 0) return [];
  return [`(${plural(hidden.length, 'hidden fix', 'hidden fixes')} can be enabled with the --unsafe-fixes option.)`];
}

/**
 * What was checked: "All checks passed!" only when every file was checked and nothing was found. Paths left out by
 * --force-exclude are said beside it: they were left out on purpose, as an excluded file of a folder is.
 */
export function coverage(report: CheckReport, found: number, color: boolean): string {
  const files = plural(report.checked, 'file', 'files');
  const missed: string[] = [];
  if (report.skipped > 0) missed.push(`${plural(report.skipped, 'file', 'files')} not checked`);
  if (report.failed > 0) missed.push(`${plural(report.failed, 'file', 'files')} failed`);
  const otherErrors = report.errors.length > 0 && report.failed === 0;
  if (otherErrors) missed.push(plural(report.errors.length, 'error', 'errors'));
  const unchecked = missed.length > 0 ? `; ${missed.join(', ')} (see the messages above)` : '';
  const excluded =
    report.excluded.length > 0
      ? `${plural(report.excluded.length, 'named path', 'named paths')} excluded (--force-exclude)`
      : '';
  const also = excluded ? `; ${excluded}` : '';
  if (found > 0) return `Checked ${files}${also}${unchecked}.`;
  if (report.checked === 0)
    return `Nothing was checked${unchecked || (excluded ? `: ${excluded}` : ': no Python files (*.py, *.ipynb)')}.`;
  if (unchecked) return `No problems found in ${files}${also}${unchecked}.`;
  return `${style(color, '32', 'All checks passed!')} (${files}${also})`;
}
