// Finds the Python files `reglens check` looks at: files named on the command line, and `*.py` and `*.ipynb`
// (notebooks) under named folders, minus folders that never hold project code and paths that .gitignore files exclude.
import * as fs from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';

/** Folder names never searched (when met while walking; a folder named on the command line is always searched). */
export const SKIPPED_FOLDERS = new Set([
  '.git',
  '.hg',
  '.svn',
  'node_modules',
  '__pycache__',
  '.tox',
  '.nox',
  '.mypy_cache',
  '.pytest_cache',
  '.ruff_cache',
  '.reglens_cache',
  '.venv',
  'venv',
  'env',
  'site-packages',
  // Jupyter's autosaved copies of the notebooks beside them.
  '.ipynb_checkpoints',
]);

export interface FoundFile {
  /** The path to report: as given, or the named folder joined with the path inside it. */
  display: string;
  absolute: string;
}

export interface Discovery {
  files: FoundFile[];
  /** One line each: a named path that does not exist, a folder that cannot be read. */
  errors: string[];
}

interface IgnoreLayer {
  /** The folder of the .gitignore; its patterns are matched against paths relative to it. */
  dir: string;
  matcher: Ignore;
}

export interface DiscoverOptions {
  /** Files and folders met while walking that `reglens.exclude` / `[tool.reglens] exclude` leave out. */
  excluded?: (absolute: string) => boolean;
}

/**
 * Resolves the paths of the command line to files, each file once (the first way it was named wins). Also finds
 * the files of a workspace folder for the language server's index (server/lsp/workspace.ts).
 */
export function discover(paths: readonly string[], cwd: string, options: DiscoverOptions = {}): Discovery {
  const files: FoundFile[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  const add = (display: string, absolute: string) => {
    if (seen.has(absolute)) return;
    seen.add(absolute);
    files.push({ display, absolute });
  };
  for (const given of paths) {
    const absolute = path.resolve(cwd, given);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(absolute);
    } catch (e) {
      errors.push(`${given}: ${describeFsError(e, 'no such file or directory')}`);
      continue;
    }
    if (!stat.isDirectory()) {
      add(given, absolute);
      continue;
    }
    const walker = new Walker(errors, add, options.excluded ?? (() => false));
    walker.walk(absolute, given, parentLayers(absolute));
  }
  return { files, errors };
}

class Walker {
  constructor(
    private readonly errors: string[],
    private readonly add: (display: string, absolute: string) => void,
    private readonly excluded: (absolute: string) => boolean,
  ) {}

  walk(dir: string, display: string, inherited: IgnoreLayer[]): void {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      this.errors.push(`${display}: ${describeFsError(e, 'cannot be read')}`);
      return;
    }
    const own = readGitignore(dir);
    const layers = own ? [...inherited, own] : inherited;
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const absolute = path.join(dir, entry.name);
      const shown = path.join(display, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        // Linked files are checked; linked folders are not followed (they may loop, or point out of the project).
        try {
          const target = fs.statSync(absolute);
          isFile = target.isFile();
        } catch {
          // A dangling link named *.py is reported as unreadable when it is read.
          isFile = true;
        }
        isDir = false;
      }
      if (isDir) {
        if (SKIPPED_FOLDERS.has(entry.name)) continue;
        if (isIgnored(absolute, true, layers)) continue;
        if (isVirtualEnvironment(absolute) || this.excluded(absolute)) continue;
        this.walk(absolute, shown, layers);
      } else if (isFile && (entry.name.endsWith('.py') || entry.name.endsWith('.ipynb'))) {
        if (isIgnored(absolute, false, layers) || this.excluded(absolute)) continue;
        this.add(shown, absolute);
      }
    }
  }
}

/** A folder made by `python -m venv`, `virtualenv` or `uv venv`, whatever its name. */
function isVirtualEnvironment(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'pyvenv.cfg'));
}

function readGitignore(dir: string): IgnoreLayer | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, '.gitignore'), 'utf8');
  } catch {
    return null;
  }
  // Git matches case-insensitively where the file system does (macOS and Windows by default).
  return {
    dir,
    matcher: ignore({ ignorecase: process.platform === 'darwin' || process.platform === 'win32' }).add(text),
  };
}

/** The folder holding `.git` (a folder, or a file in a worktree or submodule) at or above `dir`, or null. */
export function gitRoot(dir: string): string | null {
  for (let d = dir; ; ) {
    if (fs.existsSync(path.join(d, '.git'))) return d;
    const parent = path.dirname(d);
    if (parent === d) return null;
    d = parent;
  }
}

/**
 * The .gitignore files above a named folder, from the git root down to its parent. Outside a git repository there
 * are none (only the .gitignore files inside the folder apply). Layers that exclude the named folder itself are
 * dropped: a folder named on the command line is searched even if git ignores it.
 */
function parentLayers(dir: string): IgnoreLayer[] {
  const root = gitRoot(dir);
  if (!root || root === dir) return [];
  const chain: string[] = [];
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    chain.unshift(d);
    if (d === root || path.dirname(d) === d) break;
  }
  const layers: IgnoreLayer[] = [];
  for (const d of chain) {
    const layer = readGitignore(d);
    if (layer && !isIgnored(dir, true, [layer])) layers.push(layer);
  }
  return layers;
}

/** Git's precedence: the deepest .gitignore with a matching pattern decides, and `!pattern` re-includes. */
function isIgnored(absolute: string, isDir: boolean, layers: readonly IgnoreLayer[]): boolean {
  let ignored = false;
  for (const layer of layers) {
    let rel = path.relative(layer.dir, absolute);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) continue;
    if (path.sep !== '/') rel = rel.split(path.sep).join('/');
    const result = layer.matcher.test(isDir ? `${rel}/` : rel);
    if (result.ignored) ignored = true;
    else if (result.unignored) ignored = false;
  }
  return ignored;
}

/** `ENOENT` → "no such file or directory", and so on, without Node's stack or syscall noise. */
export function describeFsError(e: unknown, fallback: string): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'ENOTDIR':
      return 'not a directory';
    default:
      return code ? `${fallback} (${code})` : fallback;
  }
}

/**
 * Whether a walk of `folder` would find `file`: the test a file-watch event for a new file passes before the
 * workspace index takes it (skipped folders, virtual environments, .gitignore files on the way, exclusions).
 */
export function wouldDiscover(
  file: string,
  folder: string,
  excluded: (absolute: string) => boolean = () => false,
): boolean {
  const rel = path.relative(folder, file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel) || !file.endsWith('.py')) return false;
  const parts = rel.split(path.sep);
  let layers = parentLayers(folder);
  let dir = folder;
  for (let i = 0; i < parts.length; i++) {
    const own = readGitignore(dir);
    if (own) layers = [...layers, own];
    const absolute = path.join(dir, parts[i]);
    const isDir = i < parts.length - 1;
    if (isDir && (SKIPPED_FOLDERS.has(parts[i]) || isVirtualEnvironment(absolute))) return false;
    if (isIgnored(absolute, isDir, layers) || excluded(absolute)) return false;
    dir = absolute;
  }
  return true;
}
