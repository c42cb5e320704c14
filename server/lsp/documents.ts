import { Analyzer, MAX_FILE_BYTES } from '../engine/analyze';
import { FileModel } from '../engine/model';
import { lineStarts, ParseLimit, parseForAnalysis, type SourceFile } from '../engine/parser';
import { recover } from '../engine/recovery';
import type { Finding, Fix, Range } from '../engine/types';
import type { DocumentConfig, EditorSettings } from './configuration';
import { rules } from '../rules';

/**
 * One open document: its text, kept parsed in a `SourceFile` that every content change re-parses incrementally,
 * the `Analyzer` whose per-statement cache makes re-analysis cheap, and the last analysis result.
 *
 * A document larger than MAX_FILE_BYTES is kept as plain text only (no tree in wasm memory, no analysis) until
 * an edit brings it back under the limit. The same happens if tree-sitter ever fails on the text.
 */
export class OpenDocument {
  /** LSP version of the current text. */
  version: number;
  readonly analyzer = new Analyzer(rules);
  private file: SourceFile | null = null;
  private plain: string | null = null;

  /** The validated `reglens` settings last pulled for this document. */
  editorSettings: EditorSettings | undefined;
  /** Resolved settings; undefined until the first configuration pull has answered. */
  config: DocumentConfig | undefined;
  /** Bumped on every configuration resolution, so that a late answer to an older pull is dropped. */
  configGeneration = 0;

  /** Modules of the workspace the last analysis consulted: a change to one of them re-analyses this document. */
  consulted: ReadonlySet<string> | undefined;

  /** Findings of the text at `analyzedVersion`; `undefined` version means never analysed. */
  findings: Finding[] = [];
  analyzedVersion: number | undefined;
  /** Set by a content change or a configuration change; cleared by analysis. */
  dirty = true;

  /** Coalescing state (see ReglensServer.schedule). */
  timer: NodeJS.Immediate | undefined;
  changeSeq = 0;
  seenSeq = 0;
  dirtySince = 0;
  /** How long the last scheduled analysis took; it stretches the coalescing bound. */
  lastAnalysisMs = 0;

  /** The "too large" message was shown for this document. */
  tooLargeNotified = false;
  /** The "could not be parsed in time" message was shown for this document. */
  notParsedNotified = false;

  /** Per analysed version: fix verdicts (does the fix keep the file parseable?) and the baseline error count. */
  fixVerdicts = new Map<Fix, boolean>();
  private baselineErrors: number | undefined;

  constructor(
    readonly uri: string,
    readonly languageId: string,
    version: number,
  ) {
    this.version = version;
  }

  /** Sets the opened text and parses it (throws if tree-sitter does; the text is kept either way). */
  open(text: string): void {
    this.plain = text;
    this.reparse();
  }

  get text(): string {
    return this.file ? this.file.text : (this.plain ?? '');
  }

  /** The parsed file, or null when the document is too large or could not be parsed. */
  get sourceFile(): SourceFile | null {
    return this.file;
  }

  private modelOfVersion: { file: SourceFile; version: number; model: FileModel } | undefined;

  /**
   * The module model of the current text, built once per text version: every hover and every code-lens request
   * asks for it, and building it (with its regularizer semantics, cached inside it) costs milliseconds on a large
   * file. While a syntax error swallows code, the model of the text as recovered (engine/recovery.ts), which the
   * findings come from: an unclosed bracket would otherwise take the lenses of the classes after it away while it
   * is typed. Null when there is no parsed file.
   */
  get model(): FileModel | null {
    const file = this.file;
    if (!file) return null;
    const cached = this.modelOfVersion;
    if (cached?.file === file && cached.version === file.version) return cached.model;
    let model: FileModel;
    try {
      model = new FileModel(recover(file)?.recovered ?? file);
    } catch (e) {
      // Too deep to analyse, found before the analysis that would say so: nothing to show.
      if (e instanceof ParseLimit) return null;
      throw e;
    }
    this.modelOfVersion = { file, version: file.version, model };
    return model;
  }

  /** The text's length in UTF-16 units, without joining an edited text's pieces (server/engine/text-pieces.ts). */
  private get length(): number {
    return this.file ? this.file.length : (this.plain ?? '').length;
  }

  get byteLength(): number {
    // Cheap bounds first: a UTF-16 code unit is 1 to 3 UTF-8 bytes.
    if (this.length * 3 <= MAX_FILE_BYTES) return this.length;
    return Buffer.byteLength(this.text, 'utf8');
  }

  get tooLarge(): boolean {
    if (this.length * 3 <= MAX_FILE_BYTES) return false;
    return Buffer.byteLength(this.text, 'utf8') > MAX_FILE_BYTES;
  }

  /**
   * Applies one LSP content change. The tree is re-parsed incrementally; should tree-sitter throw, the document
   * falls back to plain text and `reparse()` tries a fresh parse.
   */
  applyChange(range: Range | undefined, text: string): void {
    if (this.file) {
      try {
        this.file.applyChange(range, text);
        // The copy every analysis reads, made now: it is what finds a tree too deep to analyse (ParseLimit). A file
        // with a syntax error is copied by its analysis (recovery.ts), after the edits that follow this one.
        if (!this.file.hasSyntaxError) void this.file.root;
        return;
      } catch (e) {
        // SourceFile.applyChange updates its text before re-parsing, so the text is current even here.
        const current = this.file.text;
        this.disposeFile();
        this.plain = current;
        throw e;
      }
    }
    this.plain = applyToPlainText(this.plain ?? '', range, text);
  }

  /**
   * Brings the parsed state in line with the size limit after a batch of changes: drops the tree of a document
   * that grew too large, and parses one that shrank below the limit (or whose parse failed before).
   */
  reparse(): void {
    if (this.tooLarge) {
      if (this.file) {
        const text = this.file.text;
        this.disposeFile();
        this.plain = text;
      }
      return;
    }
    if (this.file) return;
    this.file = parseForAnalysis(this.plain ?? '');
    this.plain = null;
  }

  /** Records a fresh analysis result. */
  setFindings(findings: Finding[]): void {
    this.findings = findings;
    this.analyzedVersion = this.version;
    this.fixVerdicts = new Map();
    this.baselineErrors = undefined;
    this.dirty = false;
  }

  /** Syntax errors in the current text, counted once per analysed version. */
  syntaxErrors(): number {
    if (!this.file) return 0;
    this.baselineErrors ??= this.file.syntaxErrorCount();
    return this.baselineErrors;
  }

  /**
   * Its analysis found the text too deep or slow to parse (ParseLimit), which the copy of a tree with a syntax error,
   * made only then, can find late: the document goes on as plain text, as after an edit that cannot be parsed, so
   * hovers, lenses and code actions see no tree, and the next change parses it afresh.
   */
  notParsed(): void {
    if (!this.file) return;
    const text = this.file.text;
    this.disposeFile();
    this.plain = text;
  }

  dispose(): void {
    if (this.timer) clearImmediate(this.timer);
    this.timer = undefined;
    this.disposeFile();
    this.plain = null;
    this.findings = [];
  }

  private disposeFile(): void {
    const file = this.file;
    this.file = null;
    if (file) {
      try {
        file.dispose();
      } catch {
        // A tree that failed half-way may already be gone; nothing else holds wasm memory.
      }
    }
  }
}

/** SourceFile.applyChange's semantics for text that has no tree. */
export function applyToPlainText(text: string, range: Range | undefined, newText: string): string {
  if (!range) return newText;
  const starts = lineStarts(text);
  const offsetAt = (line: number, character: number): number => {
    if (line < 0) return 0;
    if (line >= starts.length) return text.length;
    const lineStart = starts[line];
    let lineEnd = line + 1 < starts.length ? starts[line + 1] : text.length;
    while (lineEnd > lineStart && (text.charCodeAt(lineEnd - 1) === 10 || text.charCodeAt(lineEnd - 1) === 13))
      lineEnd--;
    return Math.min(lineStart + Math.max(0, character), lineEnd);
  };
  const start = offsetAt(range.start.line, range.start.character);
  const end = Math.max(start, offsetAt(range.end.line, range.end.character));
  return text.slice(0, start) + newText + text.slice(end);
}
