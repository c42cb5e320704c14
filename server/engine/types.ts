/** Positions are 0-based; `character` counts UTF-16 code units (LSP's default encoding, and web-tree-sitter's). */
export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/** A place in another file of the workspace (the engine keeps no tree of it). */
export interface ExternalLocation {
  /** Absolute path. */
  file: string;
  range: Range;
}

export interface TextEdit {
  range: Range;
  newText: string;
}

/** Ruff's model: a safe fix keeps the program's meaning apart from the bug it removes; fix-all applies only these. */
export type Applicability = 'safe' | 'unsafe';

export interface Fix {
  applicability: Applicability;
  /** Imperative title shown in the quick-fix menu, e.g. "Pass `training=self.training`". */
  title: string;
  edits: TextEdit[];
}

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface RelatedLocation {
  range: Range;
  /** Absolute path of another file the location is in; absent: the finding's own file. */
  file?: string;
  message: string;
}

export interface Finding {
  code: string;
  name: string;
  message: string;
  severity: Severity;
  range: Range;
  fix: Fix | null;
  /**
   * Other ways to fix the same finding, offered after `fix` in the editor's menu (RG007: apply the unused drop path,
   * or remove it). `--fix` and fix-all apply only `fix`.
   */
  alternatives?: Fix[];
  related: RelatedLocation[];
  /** `unnecessary` greys the range out in editors (unused code). */
  tags: 'unnecessary'[];
  /** Code elsewhere that the message names by its line ("merged at line 19"): the message changes when it moves. */
  mentions?: Range[];
}

export function comparePositions(a: Position, b: Position): number {
  return a.line - b.line || a.character - b.character;
}
