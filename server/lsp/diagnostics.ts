import { pathToFileURL } from 'node:url';
import { DiagnosticSeverity, DiagnosticTag, type Diagnostic } from 'vscode-languageserver/node';
import { ruleDocsUrl } from '../engine/project';
import type { Finding, Range, Severity } from '../engine/types';
import type { OpenDocument } from './documents';

export const SOURCE = 'reglens';

/** What a published diagnostic carries in `data`, to find its finding again when code actions are asked for. */
export interface DiagnosticData {
  /** Document version the finding was computed for. */
  version: number;
  /** Index of the finding in that analysis. */
  index: number;
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toDiagnostic(uri: string, finding: Finding, version: number, index: number): Diagnostic {
  const diagnostic: Diagnostic = {
    range: finding.range,
    severity: SEVERITY[finding.severity] ?? DiagnosticSeverity.Warning,
    code: finding.code,
    codeDescription: { href: ruleDocsUrl(finding.code) },
    source: SOURCE,
    message: finding.message,
    data: { version, index } satisfies DiagnosticData,
  };
  if (finding.tags.includes('unnecessary')) diagnostic.tags = [DiagnosticTag.Unnecessary];
  if (finding.related.length > 0)
    diagnostic.relatedInformation = finding.related.map((r) => ({
      location: { uri: r.file ? pathToFileURL(r.file).href : uri, range: r.range },
      message: r.message,
    }));
  return diagnostic;
}

export function sameRange(a: Range, b: Range): boolean {
  return (
    a.start.line === b.start.line &&
    a.start.character === b.start.character &&
    a.end.line === b.end.line &&
    a.end.character === b.end.character
  );
}

/**
 * The current finding a diagnostic from the client stands for: same code and range in the latest analysis.
 * `data` picks between identical candidates. Stale diagnostics (the text moved on) match nothing, so no stale
 * fix is ever offered.
 */
export function findingFor(doc: OpenDocument, diagnostic: Diagnostic): Finding | undefined {
  if (diagnostic.source !== SOURCE || typeof diagnostic.code !== 'string') return undefined;
  const code = diagnostic.code;
  const data = diagnostic.data as Partial<DiagnosticData> | undefined;
  if (data && data.version === doc.analyzedVersion && typeof data.index === 'number') {
    const direct = doc.findings[data.index];
    if (direct && direct.code === code && sameRange(direct.range, diagnostic.range)) return direct;
  }
  return doc.findings.find((f) => f.code === code && sameRange(f.range, diagnostic.range));
}
