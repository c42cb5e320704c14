// `reglens check --watch`, as `ruff check --watch`: check, then check again whenever a Python file, a notebook, a
// configuration file (reglens.toml, pyproject.toml) or a .gitignore under the checked paths changes, until
// interrupted. Each run is a whole `reglens check`; the cache (check-cache.ts) makes a rerun cost the files that
// changed and the files whose checks read them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findConfigFile, loadConfigFile, mayChangeConfiguration } from '../engine/config-files';
import { ruleCodes } from '../rules';
import { SKIPPED_FOLDERS } from '../core/files';
import type { CheckOptions } from './args';
import { runCheck, type CliIo } from './check';

/** Changes that can change a report: sources, and the files that say which sources are checked and how. */
const RELEVANT = /(\.py|\.ipynb|(^|[/\\])\.gitignore)$/i;

/** Editors save in bursts (a temp file, a rename, a chmod): one check for the whole burst. */
const SETTLE_MS = 150;

/** Clears a terminal's screen and scrollback, so each report stands alone, as Ruff's watch mode shows it. */
const CLEAR = '\u001b[2J\u001b[3J\u001b[H';

/**
 * Whether a changed path under a watched folder can change a report: a source or configuration file, or a folder
 * (one made by `git checkout` or `cp -r` may hold sources whose own creation came before the watch reached it),
 * outside the folders the walk skips.
 */
function isRelevantChange(folder: string, relative: string): boolean {
  if (relative.split(/[/\\]/).some((part) => SKIPPED_FOLDERS.has(part))) return false;
  if (RELEVANT.test(relative) || mayChangeConfiguration(relative)) return true;
  try {
    return fs.statSync(path.join(folder, relative)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Checks, then watches the checked paths (and the configuration that governs the current folder) and checks again
 * after each change. Returns only when a watch cannot be set up (exit status 2); otherwise it runs until the process
 * is interrupted.
 */
export async function watchCheck(options: CheckOptions, io: CliIo): Promise<number> {
  const named = (options.paths.length > 0 ? options.paths : ['.']).map((p) => path.resolve(io.cwd, p));
  const vanished = () => named.find((p) => !fs.existsSync(p));
  const missing = vanished();
  if (missing) {
    io.stderr(`error: ${path.relative(io.cwd, missing) || missing}: no such file or folder to watch\n`);
    return 2;
  }
  const clear = io.color ? CLEAR : '';
  const time = () => new Date().toTimeString().slice(0, 8);
  let pending: string | null = null;
  let running = false;
  let timer: NodeJS.Timeout | undefined;

  const run = async (why: string) => {
    running = true;
    io.stdout(`${clear}[${time()}] ${why}\n`);
    try {
      await runCheck(options, io);
    } catch (e) {
      // A failed run says why and waits for the next change, as a run that found problems does.
      io.stderr(`error: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    }
    try {
      if (!stopped) watchConfiguration();
    } catch (e) {
      stop(`cannot watch the configuration: ${(e as Error).message}`);
    }
    io.stdout(`[${time()}] Watching for file changes (Ctrl+C to stop).\n`);
    running = false;
    if (pending !== null) schedule(pending);
  };
  const schedule = (changed: string) => {
    pending = changed;
    if (running) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      const what = pending!;
      pending = null;
      void run(`File change detected: ${what}. Checking again…`);
    }, SETTLE_MS);
  };

  const noLongerThere = (gone: string) => `${path.relative(io.cwd, gone) || gone} is no longer there`;
  const watchers: fs.FSWatcher[] = [];
  let alive: NodeJS.Timeout | undefined;
  let stopped = false;
  // A watch can end after it started (a watched folder removed, the system's limit on watches reached): say so and
  // stop, exit status 2, rather than end as if all were well or keep showing reports that no longer follow the files.
  const stop = (why: string) => {
    if (stopped) return;
    stopped = true;
    io.stderr(`error: stopped watching for file changes: ${why}\n`);
    for (const w of watchers) w.close();
    clearTimeout(timer);
    clearInterval(alive);
    process.exitCode = 2;
  };
  // The configuration file that governs the current folder, and those it extends, may lie above every watched path;
  // looked for again after each run, since an edit can add an `extend`.
  const configurations = new Set<string>();
  const watchConfiguration = () => {
    const config = options.config === undefined ? findConfigFile(io.cwd) : path.resolve(io.cwd, options.config);
    const chain = config ? (loadConfigFile(config, ruleCodes).chain ?? [config]) : [];
    for (const file of chain) {
      if (configurations.has(file) || named.some((p) => file.startsWith(`${p}${path.sep}`))) continue;
      configurations.add(file);
      watch(path.dirname(file), false, (name) => name === path.basename(file));
    }
  };
  const watch = (target: string, recursive: boolean, accept: (name: string) => boolean) => {
    const watcher = fs.watch(target, { recursive }, (_event, name) => {
      if (name === null) return;
      const changed = name.toString();
      if (accept(changed)) schedule(path.relative(io.cwd, path.join(target, changed)) || changed);
    });
    // A watched folder removed may reach the watcher first (Node's recursive watch rescans it: ENOENT): say it as the
    // existence check below would.
    watcher.on('error', (e) => {
      const gone = vanished();
      stop(gone ? noLongerThere(gone) : `${path.relative(io.cwd, target) || '.'}: ${e.message}`);
    });
    watchers.push(watcher);
  };
  try {
    for (const target of named) {
      if (fs.statSync(target).isDirectory()) watch(target, true, (name) => isRelevantChange(target, name));
      else watch(path.dirname(target), false, (name) => name === path.basename(target));
    }
    watchConfiguration();
  } catch (e) {
    stopped = true;
    for (const w of watchers) w.close();
    io.stderr(`error: cannot watch for file changes: ${(e as Error).message}\n`);
    return 2;
  }
  // A removed folder ends its watch without an event: look for the named paths every second (which also keeps the
  // process alive whatever the watches do).
  alive = setInterval(() => {
    const gone = vanished();
    if (gone) stop(noLongerThere(gone));
  }, 1000);
  await run('Starting Reglens in watch mode…');
  return new Promise<number>(() => {
    // Runs until interrupted; the watchers keep the process alive.
  });
}
