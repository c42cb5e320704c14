// LSP 3.17 notebook sync. A notebook is analysed as one document, the concatenation of its Python code cells in
// order (engine/notebook.ts): an `OpenDocument` under the notebook's URI holds that text, so configuration,
// coalescing, fixes and profiling work on it as on any file. This module keeps the cells, rebuilds the joined text
// after every notebook change (applied to the document as one minimal incremental edit), and maps positions,
// diagnostics, edits, hovers and lenses between the joined text and the cells.
import {
  NotebookCellKind,
  type CodeAction,
  type Diagnostic,
  type DidChangeNotebookDocumentParams,
  type DidOpenNotebookDocumentParams,
  type NotebookCell,
  type Position,
  type PublishDiagnosticsParams,
  type Range,
  type TextDocumentContentChangeEvent,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver/node';
import { NotebookText, type CodeCell } from '../engine/notebook';
import type { Finding } from '../engine/types';
import { toDiagnostic } from './diagnostics';
import { changedSpan } from '../engine/changed-span';
import { lineStarts, positionIn } from '../engine/parser';
import { applyToPlainText, type OpenDocument } from './documents';

/** The languages whose cells are Python. */
const PYTHON_CELL_LANGUAGES = new Set(['python']);

/** What the server announces: Jupyter notebooks (and VS Code's interactive window), Python cells only. */
export const NOTEBOOK_SYNC = {
  notebookSelector: [
    { notebook: { notebookType: 'jupyter-notebook' }, cells: [{ language: 'python' }] },
    { notebook: { notebookType: 'interactive' }, cells: [{ language: 'python' }] },
  ],
};

interface CellDocument {
  languageId: string;
  version: number;
  text: string;
}

/** A cell of an open notebook, found from its document URI. */
export interface CellRef {
  notebook: OpenNotebook;
  /** Position of the cell in the notebook's cell array. */
  index: number;
  uri: string;
}

export class OpenNotebook {
  version: number;
  /** Every cell the client synchronises, in order: the indices of notebook changes refer to this array. */
  private cells: NotebookCell[];
  private readonly texts = new Map<string, CellDocument>();
  /** The joined text's layout; always describes `doc.text`. */
  layout: NotebookText;
  /** Per cell URI: what was last published (the cell's version and the diagnostics), to send only what changed. */
  readonly published = new Map<string, string>();

  constructor(
    readonly uri: string,
    params: DidOpenNotebookDocumentParams,
    /** The joined text, under the notebook's URI. */
    readonly doc: OpenDocument,
  ) {
    this.version = params.notebookDocument.version;
    this.cells = [...params.notebookDocument.cells];
    for (const item of params.cellTextDocuments)
      this.texts.set(item.uri, { languageId: item.languageId, version: item.version, text: item.text });
    this.layout = new NotebookText(this.codeCells());
  }

  /** The joined text of the cells as opened. */
  get text(): string {
    return this.layout.text;
  }

  /** Applies a notebook change; returns the edit that turns the old joined text into the new one (null: none). */
  applyChange(params: DidChangeNotebookDocumentParams): { range: Range; text: string } | null {
    this.version = params.notebookDocument.version;
    const change = params.change;
    const structure = change.cells?.structure;
    if (structure) {
      for (const closed of structure.didClose ?? []) this.texts.delete(closed.uri);
      for (const opened of structure.didOpen ?? [])
        this.texts.set(opened.uri, { languageId: opened.languageId, version: opened.version, text: opened.text });
      const { start, deleteCount, cells } = structure.array;
      this.cells.splice(start, deleteCount, ...(cells ?? []));
    }
    for (const data of change.cells?.data ?? []) {
      const at = this.cells.findIndex((c) => c.document === data.document);
      if (at >= 0) this.cells[at] = data;
    }
    for (const content of change.cells?.textContent ?? []) {
      const cell = this.texts.get(content.document.uri);
      if (!cell) continue;
      cell.text = applyContentChanges(cell.text, content.changes);
      cell.version = content.document.version;
    }
    const before = this.layout.text;
    this.layout = new NotebookText(this.codeCells());
    return minimalChange(before, this.layout.text);
  }

  /** Python code cells, `index` being the position in the cell array. */
  codeCells(): CodeCell[] {
    const out: CodeCell[] = [];
    this.cells.forEach((cell, index) => {
      const doc = this.texts.get(cell.document);
      if (cell.kind === NotebookCellKind.Code && doc && PYTHON_CELL_LANGUAGES.has(doc.languageId))
        out.push({ index, text: doc.text });
    });
    return out;
  }

  /** URIs and versions of the code cells in the layout, by index. */
  cellDocument(index: number): { uri: string; version: number } | undefined {
    const cell = this.cells[index];
    const doc = cell && this.texts.get(cell.document);
    return doc ? { uri: cell.document, version: doc.version } : undefined;
  }

  cellIndex(uri: string): number {
    return this.cells.findIndex((c) => c.document === uri);
  }

  dispose(): void {
    this.doc.dispose();
  }

  // ---- mapping ----------------------------------------------------------------------------------------------------

  toJoined(index: number, position: Position): Position | null {
    return this.layout.fromCell(index, position);
  }

  toJoinedRange(index: number, range: Range): Range | null {
    return this.layout.fromCellRange(index, range);
  }

  /** A range of the joined text in the given cell's coordinates; null when it is not (wholly) in that cell. */
  rangeInCell(index: number, range: Range): Range | null {
    const mapped = this.layout.rangeToCell(range);
    return mapped && mapped.cell.index === index ? mapped.range : null;
  }

  /**
   * A notebook's findings as diagnostics of its cells, in cell coordinates, for what must be published: every Python
   * cell whose diagnostics changed (an empty list for a cell that lost its findings), and an empty list for a cell
   * that left the notebook or is no longer Python.
   */
  cellDiagnostics(findings: readonly Finding[], measured: (f: Finding) => Finding): PublishDiagnosticsParams[] {
    const out: PublishDiagnosticsParams[] = [];
    const layout = this.layout;
    const perCell = new Map<number, Diagnostic[]>();
    findings.forEach((finding, i) => {
      const placed = layout.rangeToCell(finding.range);
      if (!placed) return;
      const diagnostic = toDiagnostic(this.uri, measured(finding), this.doc.version, i);
      diagnostic.range = placed.range;
      if (diagnostic.relatedInformation) {
        diagnostic.relatedInformation = diagnostic.relatedInformation.flatMap((r) => {
          const at = layout.rangeToCell(r.location.range);
          const cell = at && this.cellDocument(at.cell.index);
          return at && cell ? [{ location: { uri: cell.uri, range: at.range }, message: r.message }] : [];
        });
      }
      const list = perCell.get(placed.cell.index) ?? [];
      list.push(diagnostic);
      perCell.set(placed.cell.index, list);
    });
    const current = new Set<string>();
    for (const cell of layout.cells) {
      const document = this.cellDocument(cell.index);
      if (!document) continue;
      current.add(document.uri);
      const diagnostics = perCell.get(cell.index) ?? [];
      // `data` changes with every analysis; the client matches a finding by code and range when it is stale.
      const key = JSON.stringify([document.version, diagnostics.map(({ data: _data, ...rest }) => rest)]);
      if (this.published.get(document.uri) === key) continue;
      this.published.set(document.uri, key);
      out.push({ uri: document.uri, version: document.version, diagnostics });
    }
    for (const uri of [...this.published.keys()]) {
      if (current.has(uri)) continue;
      this.published.delete(uri);
      out.push({ uri, diagnostics: [] });
    }
    return out;
  }

  /**
   * A code action computed on the joined text, re-addressed to the cells its edits fall in; null when an edit would
   * span cells or change IPython text (such a fix is not offered).
   */
  actionToCells(action: CodeAction, documentChanges: boolean): CodeAction | null {
    if (!action.edit) return action;
    const edits = editsOf(action.edit, this.uri);
    const mapped = this.layout.editsToCells(edits);
    if (!mapped) return null;
    const perCell = mapped.map(({ cell, edits: cellEdits }) => ({
      document: this.cellDocument(cell.index)!,
      edits: cellEdits,
    }));
    const edit: WorkspaceEdit = documentChanges
      ? {
          documentChanges: perCell.map((c) => ({
            textDocument: { uri: c.document.uri, version: c.document.version },
            edits: c.edits,
          })),
        }
      : { changes: Object.fromEntries(perCell.map((c) => [c.document.uri, c.edits])) };
    return { ...action, edit };
  }
}

function editsOf(edit: WorkspaceEdit, uri: string): TextEdit[] {
  const out: TextEdit[] = [...(edit.changes?.[uri] ?? [])];
  for (const change of edit.documentChanges ?? [])
    if ('textDocument' in change && change.textDocument.uri === uri) out.push(...(change.edits as TextEdit[]));
  return out;
}

function applyContentChanges(text: string, changes: readonly TextDocumentContentChangeEvent[]): string {
  let out = text;
  for (const change of changes) out = applyToPlainText(out, 'range' in change ? change.range : undefined, change.text);
  return out;
}

/**
 * The edit from `before` to `after` that leaves out their common prefix and suffix (changedSpan), as an LSP change of
 * `before`, so that the joined document is re-parsed incrementally where the notebook changed.
 */
export function minimalChange(before: string, after: string): { range: Range; text: string } | null {
  const span = changedSpan(before, after);
  if (!span) return null;
  const starts = lineStarts(before);
  return { range: { start: positionIn(starts, span.start), end: positionIn(starts, span.end) }, text: span.text };
}

/** A diagnostic published for a cell, as the client sends it back, mapped onto the joined text. */
export function diagnosticToJoined(notebook: OpenNotebook, index: number, diagnostic: Diagnostic): Diagnostic | null {
  const range = notebook.toJoinedRange(index, diagnostic.range);
  return range ? { ...diagnostic, range } : null;
}
