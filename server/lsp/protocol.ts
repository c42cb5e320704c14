// What the VS Code client (client/extension.ts) and the language server say to each other beyond LSP itself:
// command ids, notification and request methods, and their payloads. Both sides import this file and nothing
// else of the other, so it imports nothing: the client bundle must not pull in the server.

/** Commands the extension contributes (package.json `contributes.commands`), run in the client. */
export const CLIENT_COMMANDS = {
  restartServer: 'reglens.restartServer',
  showOutput: 'reglens.showOutput',
  fixAll: 'reglens.fixAll',
  profileCurrentFile: 'reglens.profileCurrentFile',
  showProfilerBackends: 'reglens.showProfilerBackends',
  runWorkspaceCheck: 'reglens.runWorkspaceCheck',
  /** Arguments: the rule page's URL. Run from the quick-fix menu's "Show documentation for RGxxx". */
  showDocumentation: 'reglens.showDocumentation',
} as const;

/**
 * A client command the server's code lenses name: asks for a shape, then runs `profileSite` with it for each site.
 * Arguments: document URI, the site ids of the lens line, the current shape, and `ShapeChoice[]`.
 */
export const PICK_SHAPE_COMMAND = 'reglens.profileSiteWithShape';

/** A shape the shape picker offers: the current one, or one that fits `reglens.profiler.memoryBudgetMB`. */
export interface ShapeChoice {
  shape: number[];
  /** Bytes the profiler needs for it. */
  bytes: number;
  current: boolean;
}

/** Server → client: open the Settings editor at a query (a refusal's "Open Settings" button). */
export const OPEN_SETTINGS_NOTIFICATION = 'reglens/openSettings';

export interface OpenSettings {
  query: string;
}

/** Commands the server executes (`workspace/executeCommand`), announced in its capabilities. */
export const SERVER_COMMANDS = {
  /** Arguments: document URI, site id, optional shape. */
  profileSite: 'reglens.profileSite',
  /** Arguments: document URI. */
  profileFile: 'reglens.profileFile',
  /** Arguments: document URI (whose settings pick the backend). Answers `ProfilerStatus` or `{ error }`. */
  profilerBackends: 'reglens.profilerBackends',
  /** No arguments. Answers `CheckWorkspaceResult`. */
  checkWorkspace: 'reglens.checkWorkspace',
} as const;

/** Server → client: the profiler worker's backend and every backend's availability, for the status bar. */
export const PROFILER_STATUS_NOTIFICATION = 'reglens/profilerStatus';

export interface ProfilerStatus {
  backend: string;
  device: string;
  statuses: Array<{ name: string; available: boolean; detail: string }>;
  fallback?: string;
}

export interface CheckWorkspaceResult {
  files: number;
  problems: number;
  cancelled: boolean;
}

/**
 * `data` of a fix-all entry in the quick-fix menu: its edit is computed only when chosen (`codeAction/resolve`), so
 * the menu opens without re-checking the file.
 */
export interface FixAllData {
  uri: string;
  /** Only this rule's safe fixes; all rules' when absent. */
  code?: string;
}

/** The code action kind of "fix all safe problems" (a save with codeActionsOnSave, the Source Action menu). */
export const FIX_ALL_KIND = 'source.fixAll.reglens';

/** Test-only request (the server answers it only with REGLENS_TEST_HOOKS=1): memory after a full GC. */
export const MEMORY_AFTER_GC_REQUEST = 'reglens/test/memoryAfterGc';
