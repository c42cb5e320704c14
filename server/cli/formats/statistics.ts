// `reglens check --statistics`: how many problems each rule has, most first, as `ruff check --statistics` prints
// them; in text, then the usual summary lines; in JSON, `{"version":1,"statistics":[{"code","name","count",
// "fixable"}],"summary":{"checked","skipped","failed"}}`, where "fixable" counts the problems --fix would fix.
import { isFixable, type CheckReport } from '../report';

export interface RuleCount {
  code: string;
  name: string;
  count: number;
  fixable: number;
}

export function ruleCounts(report: CheckReport): RuleCount[] {
  const byCode = new Map<string, RuleCount>();
  for (const { finding } of report.diagnostics) {
    let entry = byCode.get(finding.code);
    if (!entry) byCode.set(finding.code, (entry = { code: finding.code, name: finding.name, count: 0, fixable: 0 }));
    entry.count++;
    if (isFixable(finding, report.unsafeFixes)) entry.fixable++;
  }
  return [...byCode.values()].sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
}

/** One line per rule: the count, the code, `[*]` when --fix would fix some of them, the rule's name. */
export function statisticsLines(report: CheckReport): string[] {
  const counts = ruleCounts(report);
  const width = Math.max(0, ...counts.map((c) => String(c.count).length));
  return counts.map((c) => `${String(c.count).padStart(width)}\t${c.code}\t${c.fixable > 0 ? '[*]' : '[ ]'} ${c.name}`);
}

export function formatStatisticsJson(report: CheckReport): string {
  const summary = { checked: report.checked, skipped: report.skipped, failed: report.failed };
  return `${JSON.stringify({ version: 1, statistics: ruleCounts(report), summary }, null, 2)}\n`;
}
