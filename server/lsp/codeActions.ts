import {
  CodeActionKind,
  type CodeAction,
  type Diagnostic,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver/node';
import { applyEdits, fixText } from '../engine/fixes';
import { noqaEdit } from '../engine/noqa';
import { ParseLimit, treeErrorCount, type SourceFile } from '../engine/parser';
import type { WorkspaceScope } from '../engine/scope';
import type { Fix } from '../engine/types';
import { findingFor } from './diagnostics';
import { CLIENT_COMMANDS, FIX_ALL_KIND, type FixAllData } from './protocol';
import type { RuleSelection } from '../engine/config';
import { ruleDocsUrl } from '../engine/project';
import type { OpenDocument } from './documents';
import { ruleByCode, rules } from '../rules';

/**
 * Kind of the fix-all action, so that `"editor.codeActionsOnSave": { "source.fixAll.reglens": "explicit" }` can pick
 * it.
 */

export interface CodeActionOptions {
  /** The client accepts `documentChanges` (versioned edits, refused by the editor if the text moved on). */
  documentChanges: boolean;
  isCancelled(): boolean;
}

/**
 * Does the client's `only` filter admit an action of this kind? Kinds are hierarchical: `source` admits
 * `source.fixAll.reglens`.
 */
export function kindRequested(only: readonly string[] | undefined, kind: string): boolean {
  return only === undefined || only.some((o) => o === '' || o === kind || kind.startsWith(`${o}.`));
}

/**
 * The quick-fix menu for the Reglens diagnostics of the request, in the manner of ESLint's and Ruff's: each fix named
 * with its rule (`Reglens (RG006): Pass …`), "Disable RGxxx for this line", then once per rule "Fix all RGxxx
 * problems in this file" (when the file has more than one safe fix of it), "Fix all safe Reglens problems" and
 * "Show documentation for RGxxx". The fix-all entries carry `data` and get their edit on `codeAction/resolve`.
 */
export function quickFixes(
  doc: OpenDocument,
  uri: string,
  diagnostics: readonly Diagnostic[],
  options: CodeActionOptions,
): CodeAction[] {
  const file = doc.sourceFile;
  if (!file) return [];
  const actions: CodeAction[] = [];
  const noqaOffered = new Set<string>();
  for (const diagnostic of diagnostics) {
    if (options.isCancelled()) return [];
    const finding = findingFor(doc, diagnostic);
    if (!finding) continue;
    for (const fix of [...(finding.fix ? [finding.fix] : []), ...(finding.alternatives ?? [])]) {
      if (!fixIsApplicable(doc, file, fix)) continue;
      const safe = fix.applicability === 'safe';
      actions.push({
        title: `Reglens (${finding.code}): ${fix.title}${safe ? '' : ' (unsafe)'}`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        isPreferred: safe && fix === finding.fix,
        edit: workspaceEdit(doc, fix.edits, options),
      });
    }
    const line = finding.range.start.line;
    const key = `${line}:${finding.code}`;
    // An unused directive (RG100) is mended by removing it, not silenced by another.
    if (noqaOffered.has(key) || ruleByCode.get(finding.code)?.meta.readsFindings) continue;
    const edit = noqaEdit(file, line, [finding.code]);
    if (!edit) continue;
    noqaOffered.add(key);
    actions.push({
      title: `Disable ${finding.code} for this line`,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      edit: workspaceEdit(doc, [edit], options),
    });
  }
  return [...actions, ...ruleActions(doc, uri, diagnostics, options)];
}

/** Per rule of the request's diagnostics: its fix-all and its documentation; then the file's fix-all. */
function ruleActions(
  doc: OpenDocument,
  uri: string,
  diagnostics: readonly Diagnostic[],
  options: CodeActionOptions,
): CodeAction[] {
  const codes = [...new Set(diagnostics.flatMap((d) => findingFor(doc, d)?.code ?? []))];
  const safeFixes = (code?: string) =>
    doc.findings.filter((f) => f.fix?.applicability === 'safe' && (!code || f.code === code)).length;
  const out: CodeAction[] = [];
  for (const code of codes) {
    if (safeFixes(code) > 1)
      out.push({
        title: `Fix all ${code} problems in this file`,
        kind: CodeActionKind.QuickFix,
        data: { uri, code } satisfies FixAllData,
      });
  }
  if (codes.length > 0 && safeFixes() > 1)
    out.push({
      title: 'Fix all safe Reglens problems',
      kind: CodeActionKind.QuickFix,
      data: { uri } satisfies FixAllData,
    });
  for (const code of codes)
    out.push({
      title: `Show documentation for ${code}`,
      kind: CodeActionKind.QuickFix,
      command: {
        title: `Show documentation for ${code}`,
        command: CLIENT_COMMANDS.showDocumentation,
        arguments: [ruleDocsUrl(code)],
      },
    });
  return options.isCancelled() ? [] : out;
}

/**
 * Every safe fix at once (what `reglens check --fix` does), or every safe fix of one rule, as one minimal edit; null
 * when nothing would change.
 */
export function fixAllAction(
  doc: OpenDocument,
  options: CodeActionOptions,
  workspace: WorkspaceScope,
  code?: string,
): CodeAction | null {
  const file = doc.sourceFile;
  const config = doc.config;
  if (!file || !config?.enable) return null;
  // fixText's first pass sees exactly these findings (the same text, selection and workspace); without a safe fix
  // among them it would change nothing.
  if (!doc.findings.some((f) => f.fix?.applicability === 'safe' && (!code || f.code === code))) return null;
  const before = file.text;
  const after = fixedText(() => fixText(rules, before, selectionFor(config.selection, code), { workspace }).text);
  if (options.isCancelled() || after === null || after === before) return null;
  return {
    title: code ? `Fix all ${code} problems in this file` : 'Fix all safe Reglens problems',
    kind: FIX_ALL_KIND,
    edit: workspaceEdit(doc, [minimalEdit(file, before, after)], options),
  };
}

/**
 * The text a fix-all computes, or null when a pass's text could not be parsed in time or was nested too deep
 * (ParseLimit: fixText parses each pass afresh, and a loaded machine can run past the time budget the edited
 * document's parse kept to): no fix-all is offered then, as for a single fix whose result cannot be parsed.
 */
export function fixedText(fix: () => string): string | null {
  try {
    return fix();
  } catch (e) {
    if (e instanceof ParseLimit) return null;
    throw e;
  }
}

/** The document's selection, narrowed to one rule for that rule's fix-all. */
export function selectionFor(selection: RuleSelection, code?: string): RuleSelection {
  return code && selection.enabled(code) ? selection.only(code) : selection;
}

/**
 * A fix is offered only when its edits do not overlap and applying them to a copy does not add a syntax error.
 * The verdict is kept for the analysed version: the editor asks again on every cursor move.
 */
function fixIsApplicable(doc: OpenDocument, file: SourceFile, fix: Fix): boolean {
  const cached = doc.fixVerdicts.get(fix);
  if (cached !== undefined) return cached;
  let ok = false;
  const candidate = applyEdits(file, fix.edits);
  if (candidate !== null) {
    let check: ReturnType<SourceFile['parseEdited']> | undefined;
    try {
      check = file.parseEdited(fix.edits, candidate);
    } catch (e) {
      // The fixed text could not be parsed in time, so it cannot be shown to parse: no fix offered.
      if (!(e instanceof ParseLimit)) throw e;
    }
    if (check) {
      try {
        ok = treeErrorCount(check) <= doc.syntaxErrors();
      } finally {
        check.delete();
      }
    }
  }
  doc.fixVerdicts.set(fix, ok);
  return ok;
}

/**
 * The change from `before` to `after` as one edit: the common prefix and suffix are left out. Boundaries never
 * split a `\r\n` or a surrogate pair.
 */
export function minimalEdit(file: SourceFile, before: string, after: string): TextEdit {
  const limit = Math.min(before.length, after.length);
  let prefix = 0;
  while (prefix < limit && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  while (prefix > 0 && (splitsPair(before, prefix) || splitsPair(after, prefix))) prefix--;
  let suffix = 0;
  while (
    suffix < limit - prefix &&
    before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)
  )
    suffix++;
  while (suffix > 0 && (splitsPair(before, before.length - suffix) || splitsPair(after, after.length - suffix)))
    suffix--;
  return {
    range: { start: file.positionAt(prefix), end: file.positionAt(before.length - suffix) },
    newText: after.slice(prefix, after.length - suffix),
  };
}

/** Is `offset` between a `\r` and its `\n`, or between the two halves of a surrogate pair? */
function splitsPair(text: string, offset: number): boolean {
  if (offset <= 0 || offset >= text.length) return false;
  const a = text.charCodeAt(offset - 1);
  const b = text.charCodeAt(offset);
  return (a === 13 && b === 10) || (a >= 0xd800 && a <= 0xdbff && b >= 0xdc00 && b <= 0xdfff);
}

function workspaceEdit(doc: OpenDocument, edits: TextEdit[], options: CodeActionOptions): WorkspaceEdit {
  if (options.documentChanges)
    return { documentChanges: [{ textDocument: { uri: doc.uri, version: doc.version }, edits }] };
  return { changes: { [doc.uri]: edits } };
}
