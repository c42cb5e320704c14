// SARIF 2.1.0 output, for GitHub code scanning and other SARIF viewers. Every rule is listed in the driver, whether
// or not it fired; regions are 1-based with UTF-16 columns (SARIF's default `columnKind`).
import * as path from 'node:path';
import { PROJECT_URL, ruleDocsUrl, VERSION } from '../../engine/project';
import type { Range, Severity } from '../../engine/types';
import { rules } from '../../rules';
import { type CheckReport, type Diagnostic, messageOnFile } from '../report';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

type SarifLevel = 'error' | 'warning' | 'note';

export function sarifLevel(severity: Severity): SarifLevel {
  return severity === 'error' ? 'error' : severity === 'warning' ? 'warning' : 'note';
}

function region(range: Range) {
  return {
    startLine: range.start.line + 1,
    startColumn: range.start.character + 1,
    endLine: range.end.line + 1,
    endColumn: range.end.character + 1,
  };
}

/** The file's path relative to the working directory, with forward slashes, percent-encoded as a URI reference. */
export function artifactUri(absolute: string, cwd: string): string {
  const relative = path.relative(cwd, absolute) || path.basename(absolute);
  return relative.split(path.sep).map(encodeURIComponent).join('/');
}

function result(d: Diagnostic, cwd: string, ruleIndex: Map<string, number>) {
  const f = d.finding;
  const artifactLocation = { uri: artifactUri(d.absolute, cwd) };
  if (d.cell !== undefined) return notebookResult(d, artifactLocation, ruleIndex);
  return {
    ruleId: f.code,
    ruleIndex: ruleIndex.get(f.code) ?? -1,
    level: sarifLevel(f.severity),
    message: { text: f.message },
    locations: [{ physicalLocation: { artifactLocation, region: region(f.range) } }],
    ...(f.fix
      ? {
          fixes: [
            {
              description: { text: f.fix.title },
              artifactChanges: [
                {
                  artifactLocation,
                  replacements: f.fix.edits.map((e) => ({
                    deletedRegion: region(e.range),
                    insertedContent: { text: e.newText },
                  })),
                },
              ],
              properties: { applicability: f.fix.applicability },
            },
          ],
        }
      : {}),
  };
}

/**
 * A finding in a notebook cell. A SARIF region counts lines of the artifact, the `.ipynb` JSON, which are not the
 * cell's lines: the result names the file only, says the cell, line and column in its message, and carries them in
 * `properties`. Its fix is left out for the same reason (`reglens check --fix` applies it).
 */
function notebookResult(d: Diagnostic, artifactLocation: { uri: string }, ruleIndex: Map<string, number>) {
  const f = d.finding;
  return {
    ruleId: f.code,
    ruleIndex: ruleIndex.get(f.code) ?? -1,
    level: sarifLevel(f.severity),
    message: { text: messageOnFile(d) },
    locations: [{ physicalLocation: { artifactLocation } }],
    properties: { cell: d.cell! + 1, ...region(f.range) },
  };
}

export function toSarif(report: CheckReport) {
  const ruleIndex = new Map(rules.map((r, i) => [r.meta.code, i]));
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'reglens',
            version: VERSION,
            semanticVersion: VERSION,
            informationUri: PROJECT_URL,
            rules: rules.map(({ meta }) => ({
              id: meta.code,
              name: meta.name,
              shortDescription: { text: meta.summary },
              fullDescription: { text: meta.explanation, markdown: meta.explanation },
              helpUri: ruleDocsUrl(meta.code),
              help: {
                text: `${meta.summary} See ${ruleDocsUrl(meta.code)}`,
                markdown: `${meta.summary}\n\n[Documentation](${ruleDocsUrl(meta.code)})`,
              },
              defaultConfiguration: { level: sarifLevel(meta.defaultSeverity) },
              properties: { fix: meta.fix },
            })),
          },
        },
        columnKind: 'utf16CodeUnits',
        results: report.diagnostics.map((d) => result(d, report.cwd, ruleIndex)),
        invocations: [
          {
            executionSuccessful: report.errors.length === 0,
            toolExecutionNotifications: report.errors.map((text) => ({ level: 'error', message: { text } })),
          },
        ],
      },
    ],
  };
}

export function formatSarif(report: CheckReport): string {
  return `${JSON.stringify(toSarif(report), null, 2)}\n`;
}
