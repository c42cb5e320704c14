// What `reglens check` found, as every output format (server/cli/formats/) reads it.
import * as path from 'node:path';
import type { TextChange } from '../core/document';
import type { Finding } from '../engine/types';
import type { SourceExcerpt } from './source-excerpt';

/** One finding of one file, with the path it is reported under. */
export interface Diagnostic {
  /** As given on the command line, joined with the path inside a named folder. */
  path: string;
  absolute: string;
  /**
   * In a notebook: the index of the finding's cell in the notebook's `cells` array (markdown cells counted); the
   * finding's range and fix are then in that cell's coordinates.
   */
  cell?: number;
  finding: Finding;
  /** The code around it, kept for `--output-format full`. */
  excerpt?: SourceExcerpt;
}

/** Everything an output format needs. */
export interface CheckReport {
  /** Sorted by path, then position, then code. */
  diagnostics: Diagnostic[];
  /** Fixes applied with --fix (with --diff: that would be). */
  fixed: number;
  /** The same per file, by rule code, in the order the files were found (--show-fixes). */
  fixedFiles: { path: string; byCode: Record<string, number> }[];
  fixMode: boolean;
  /** --fix-only: the report says what was fixed, not what remains. */
  fixOnly: boolean;
  /** --show-fixes: the text report lists `fixedFiles`. */
  showFixes: boolean;
  /** `# noqa` directives added with --add-noqa, and the files they went into. */
  directives: { added: number; files: number };
  /** With --diff: each file's changes, in the order the files were found. */
  changes: { path: string; changes: TextChange[] }[];
  unsafeFixes: boolean;
  /** Per-file and configuration errors, one line each; any makes the exit status 2. */
  errors: string[];
  /** Files analysed (a file no enabled rule's triggers mention counts: it is checked without parsing). */
  checked: number;
  /** Files not checked, each with a warning that says why (binary, too large, too deep to parse, not Python). */
  skipped: number;
  /** Files that could not be read or checked, each with an error (their configuration's error included). */
  failed: number;
  /** Paths named on the command line (or --stdin-filename) that --force-exclude left out, as given. */
  excluded: string[];
  cwd: string;
}

export { isFixable } from '../engine/fixes';

/** The finding's file from the working directory, with forward slashes (as annotations and CI reports name it). */
export function reportedPath(report: CheckReport, { absolute, path: display }: Diagnostic): string {
  return (path.relative(report.cwd, absolute) || display).split(path.sep).join('/');
}

/**
 * A finding's message in the formats that place it on a line of the file: a notebook problem sits on the notebook's
 * first line (its lines are the `.ipynb` JSON's, not a cell's), so its cell, line and column come first.
 */
export function messageOnFile({ cell, finding }: Diagnostic): string {
  if (cell === undefined) return finding.message;
  const { line, character } = finding.range.start;
  return `cell ${cell + 1}, line ${line + 1}, column ${character + 1}: ${finding.message}`;
}

/** The diagnostics of each file, in the report's order, by the key `fileOf` gives each one. */
export function byFile(
  diagnostics: readonly Diagnostic[],
  fileOf: (d: Diagnostic) => string,
): Map<string, Diagnostic[]> {
  const files = new Map<string, Diagnostic[]>();
  for (const d of diagnostics) {
    const file = fileOf(d);
    const list = files.get(file);
    if (list) list.push(d);
    else files.set(file, [d]);
  }
  return files;
}
