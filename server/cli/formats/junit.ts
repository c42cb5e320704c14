// JUnit XML, as Ruff's `--output-format junit`, for CI systems that show test reports (GitLab's `artifacts: reports:
// junit:`, Jenkins, Azure Pipelines): a test suite per file with problems, a failed test case per problem, and an
// errored test case per file or configuration that could not be checked. A clean run is one passing test case, so
// the report says that something was checked.
//
//   <testsuites name="reglens" tests="1" failures="1" errors="0">
//     <testsuite name="model.py" tests="1" disabled="0" errors="0" failures="1" package="org.reglens">
//       <testcase name="org.reglens.RG006" classname="model.py" line="11" column="13">
//         <failure message="`F.dropout` drops values in evaluation too: …">line 11, col 13, …</failure>
import { byFile, type CheckReport, type Diagnostic, reportedPath } from '../report';

const escapeXml = (text: string) =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');

function testCase(report: CheckReport, d: Diagnostic): string {
  const { finding, cell } = d;
  const line = finding.range.start.line + 1;
  const column = finding.range.start.character + 1;
  const where = `${cell === undefined ? '' : `cell ${cell + 1}, `}line ${line}, col ${column}`;
  const message = escapeXml(finding.message);
  // A test case's line is the file's: a notebook problem's is the cell's, so it sits on the notebook's first line.
  const at = cell === undefined ? `line="${line}" column="${column}"` : 'line="1" column="1"';
  return [
    `    <testcase name="org.reglens.${finding.code}" classname="${escapeXml(reportedPath(report, d))}" ${at}>`,
    `      <failure message="${message}">${escapeXml(where)}, ${message}</failure>`,
    '    </testcase>',
  ].join('\n');
}

export function formatJunit(report: CheckReport): string {
  const suites: string[] = [];
  for (const [file, diagnostics] of byFile(report.diagnostics, (d) => reportedPath(report, d))) {
    const n = diagnostics.length;
    suites.push(
      `  <testsuite name="${escapeXml(file)}" tests="${n}" disabled="0" errors="0" failures="${n}" ` +
        'package="org.reglens">',
      ...diagnostics.map((d) => testCase(report, d)),
      '  </testsuite>',
    );
  }
  const errors = report.errors;
  if (errors.length > 0)
    suites.push(
      `  <testsuite name="reglens" tests="${errors.length}" disabled="0" errors="${errors.length}" failures="0" ` +
        'package="org.reglens">',
      ...errors.map(
        (e, i) =>
          `    <testcase name="org.reglens.error${i + 1}" classname="reglens">\n` +
          `      <error message="${escapeXml(e)}">${escapeXml(e)}</error>\n    </testcase>`,
      ),
      '  </testsuite>',
    );
  const failures = report.diagnostics.length;
  let tests = failures + errors.length;
  if (tests === 0) {
    tests = 1;
    suites.push(
      '  <testsuite name="reglens" tests="1" disabled="0" errors="0" failures="0" package="org.reglens">',
      `    <testcase name="${escapeXml(`No problems found in ${report.checked} files`)}" classname="reglens"/>`,
      '  </testsuite>',
    );
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="reglens" tests="${tests}" failures="${failures}" errors="${errors.length}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
