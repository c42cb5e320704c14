// What `reglens check` hands to an output format (server/cli/formats/): its own module, below both check.ts and
// the formats, so the formats do not import check.ts, which imports them.
import type { Finding } from '../engine/types';

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
}

/** Everything an output format needs. */
export interface CheckReport {
  /** Sorted by path, then position, then code. */
  diagnostics: Diagnostic[];
  /** Fixes applied with --fix. */
  fixed: number;
  fixMode: boolean;
  unsafeFixes: boolean;
  /** Per-file and configuration errors, one line each; any makes the exit status 2. */
  errors: string[];
  cwd: string;
}
