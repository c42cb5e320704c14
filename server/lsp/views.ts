// What a request's document URI names, resolved once per request: an open file, or a cell of an open notebook.
// Either way the analysis is the `OpenDocument`'s (a notebook's is its cells joined); the view maps positions,
// diagnostics and code actions between the request's document and that text, so each handler is written once.
import type { CodeAction, Diagnostic, Position, Range } from 'vscode-languageserver/node';
import { fixNotebook } from '../engine/notebook';
import { rules } from '../rules';
import type { WorkspaceScope } from '../engine/scope';
import { fixAllAction, fixedText, selectionFor, type CodeActionOptions } from './codeActions';
import type { OpenDocument } from './documents';
import { diagnosticToJoined, minimalChange, type CellRef } from './notebooks';
import { FIX_ALL_KIND } from './protocol';

export interface DocumentView {
  /** The analysed document: the file itself, or the notebook's joined text. */
  readonly doc: OpenDocument;
  /** A position of the request's document in the analysed text (null: not in it). */
  toAnalysed(position: Position): Position | null;
  /** A range of the analysed text in the request's document (null: outside it). */
  fromAnalysed(range: Range): Range | null;
  /** A diagnostic the client sent back, in the analysed text (null: it cannot be placed there). */
  diagnosticToAnalysed(diagnostic: Diagnostic): Diagnostic | null;
  /** A code action on the analysed text as an action on the request's document (null: it cannot be written there). */
  actionFromAnalysed(action: CodeAction, options: CodeActionOptions): CodeAction | null;
  /**
   * "Fix all safe problems" (of one rule, with `code`) for the request's document, or null when nothing changes.
   * `workspace` is the scope its analysis used: a class imported from another file makes findings, and fixes.
   */
  fixAll(options: CodeActionOptions, workspace: WorkspaceScope, code?: string): CodeAction | null;
}

export function fileView(doc: OpenDocument): DocumentView {
  return {
    doc,
    toAnalysed: (position) => position,
    fromAnalysed: (range) => range,
    diagnosticToAnalysed: (diagnostic) => diagnostic,
    actionFromAnalysed: (action) => action,
    fixAll: (options, workspace, code) => fixAllAction(doc, options, workspace, code),
  };
}

/**
 * A notebook cell. A fix with an edit that would span cells or change IPython text is not offered; fix-all edits
 * only this cell (an editor asks once per cell), with the fixes a whole-notebook fix would make there.
 */
export function cellView({ notebook, index }: CellRef): DocumentView {
  return {
    doc: notebook.doc,
    toAnalysed: (position) => notebook.toJoined(index, position),
    fromAnalysed: (range) => notebook.rangeInCell(index, range),
    diagnosticToAnalysed: (diagnostic) => diagnosticToJoined(notebook, index, diagnostic),
    actionFromAnalysed: (action, options) => notebook.actionToCells(action, options.documentChanges),
    fixAll: (options, workspace, code) => {
      const doc = notebook.doc;
      const config = doc.config!;
      if (
        !doc.findings.some(
          (f) =>
            f.fix?.applicability === 'safe' &&
            (!code || f.code === code) &&
            notebook.layout.rangeToCell(f.range)?.cell.index === index,
        )
      )
        return null;
      const cells = notebook.codeCells();
      const at = cells.findIndex((c) => c.index === index);
      const document = notebook.cellDocument(index);
      if (at < 0 || !document) return null;
      const fixed = fixedText(
        () => fixNotebook(rules, cells, selectionFor(config.selection, code), { workspace }).texts[at],
      );
      const change = fixed === null ? null : minimalChange(cells[at].text, fixed);
      if (!change) return null;
      const edits = [{ range: change.range, newText: change.text }];
      return {
        title: code ? `Fix all ${code} problems in this file` : 'Fix all safe Reglens problems',
        kind: FIX_ALL_KIND,
        edit: options.documentChanges
          ? { documentChanges: [{ textDocument: document, edits }] }
          : { changes: { [document.uri]: edits } },
      };
    },
  };
}
