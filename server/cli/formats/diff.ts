// `reglens check --diff`: the changes --fix would make, as a unified diff on stdout that `patch -p0` applies (a
// notebook's cells each as their own text, labelled `path:cell N`, numbered from 1 as the text report numbers them),
// and what it comes to on stderr. Also the line `--add-noqa` says on stderr.
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import type { CheckReport } from '../report';
import { coverage, hiddenFixes, plural } from './text';

export function formatDiff(report: CheckReport): string {
  const out: string[] = [];
  for (const { path, changes } of report.changes)
    for (const { cell, before, after } of changes) {
      const label = cell === undefined ? path : `${path}:cell ${cell + 1}`;
      out.push(createTwoFilesPatch(label, label, before, after, undefined, undefined, DIFF_OPTIONS));
    }
  return out.join('');
}

const DIFF_OPTIONS = { context: 3, headerOptions: FILE_HEADERS_ONLY };

/** "Would fix 3 problems in 2 files.", what would remain, the fixes left out, and what was checked. */
export function diffSummary(report: CheckReport): string {
  const lines: string[] = [];
  const files = report.changes.length;
  lines.push(
    report.fixed > 0
      ? `Would fix ${plural(report.fixed, 'problem', 'problems')} in ${plural(files, 'file', 'files')}.`
      : 'No problems would be fixed.',
  );
  const remaining = report.diagnostics.length;
  if (remaining > 0)
    lines.push(
      `${plural(remaining, 'problem', 'problems')} would remain (\`reglens check\` without --diff lists them).`,
    );
  lines.push(...hiddenFixes(report));
  lines.push(coverage(report, report.fixed + remaining, false));
  return `${lines.join('\n')}\n`;
}

/** "Added 4 `# noqa` directives to 2 files." */
export function directivesAdded(report: CheckReport): string {
  const { added, files } = report.directives;
  if (added === 0) return 'Added no `# noqa` directives.\n';
  return `Added ${plural(added, '`# noqa` directive', '`# noqa` directives')} to ${plural(files, 'file', 'files')}.\n`;
}
