// The help texts of `reglens`, `reglens check`, `reglens clean` and `reglens rule` (`reglens profile`'s is in
// profile.ts); args.ts parses what they describe.
export const MAIN_HELP = `Reglens: finds regularization mistakes (dropout, drop path, stochastic depth) in PyTorch code.

Usage: reglens <COMMAND> [OPTIONS]

Commands:
  check [PATH...]   Check Python files and folders (default: the current directory)
  rule [CODE]       Explain a rule, e.g. \`reglens rule RG006\`; without CODE, list the rules
  profile FILE...   Measure each regularizer site in training and evaluation (\`reglens profile --help\`)
  clean             Remove the check caches (.reglens_cache) of the current folder's project and below it

Options:
  -h, --help        Print help (\`reglens check --help\` for the check options)
  -V, --version     Print the version

Exit status: 0 no problems, 1 problems found, 2 usage, configuration or I/O error.
`;

export const CHECK_HELP = `Check Python files and folders for regularization mistakes.

Usage: reglens check [OPTIONS] [PATH...]

Folders are searched for Python files (*.py) and Jupyter notebooks (*.ipynb), skipping .git, node_modules,
virtual environments, __pycache__, .tox, .mypy_cache, paths listed in .gitignore files and paths that
\`exclude\` matches. Files named on the command line are checked even when excluded, unless --force-exclude is given
(as the pre-commit hook does). Each file's settings come from its nearest configuration file: in each folder
upwards, .reglens.toml, reglens.toml (settings at the top level) or a pyproject.toml with a [tool.reglens] table,
as Ruff looks for its own. Each file's findings are cached (.reglens_cache, as Ruff's .ruff_cache) and reused
while the file, its settings, Reglens and every module its check read of the project are unchanged; --fix,
--diff and --add-noqa reuse only the findings of files they would not change, and --stdin-filename never uses it.

Options:
      --output-format <FORMAT>  Output format: text (default: a line per problem; also called concise), full
                                (each problem's code with its range underlined and its fix), grouped (by file),
                                json, json-lines, sarif (code scanning), github (workflow annotations), gitlab (a
                                Code Quality report), junit (a test report), rdjson (reviewdog), azure (Azure
                                Pipelines) or pylint; --format is the same option
      --select <CODES>          Comma-separated rule codes or prefixes to enable (replaces the configuration's
                                select)
      --ignore <CODES>          Comma-separated rule codes or prefixes to disable (replaces the configuration's
                                ignore)
      --fix                     Apply safe fixes in place, then report what remains
      --unsafe-fixes            Include unsafe fixes (applied with --fix, shown as fixable otherwise)
      --fix-only                Apply fixes as --fix does, but report only what was fixed, not what remains; exit
                                status 0 unless --exit-non-zero-on-fix
      --exit-non-zero-on-fix    With --fix or --fix-only: exit status 1 when a fix was applied, even if no problem
                                remains (for CI steps and git hooks that must fail when they changed a file)
      --show-fixes              With --fix or --fix-only: list the fixes applied, per file and rule
      --fixable <CODES>         Comma-separated rule codes or prefixes whose fixes may be applied (replaces
                                the configuration's fixable)
      --unfixable <CODES>       Comma-separated rule codes or prefixes whose fixes are never offered or applied
                                (replaces the configuration's unfixable)
      --diff                    Print the changes --fix would make as a unified diff (a notebook's per cell) and
                                write nothing; exit status 1 when there are any
      --add-noqa                Silence every finding with a \`# noqa: CODE\` comment on its line (to adopt Reglens
                                on existing code), then report what could not be silenced
      --statistics              Print how many problems each rule has, most first, instead of each problem (text
                                or json)
      --exit-zero               Exit with status 0 even when problems are found
  -w, --watch                   Check, then check again whenever a Python file, notebook, configuration file or
                                .gitignore under the paths changes, until interrupted (Ctrl+C)
      --stdin-filename <NAME>   Read the source from stdin and report it as NAME
                                (with --fix or --add-noqa, the new source is printed to stdout, the report to
                                stderr)
      --config <PATH>           Use this configuration file (a reglens.toml, or a pyproject.toml's [tool.reglens])
                                for every file instead of discovering one
      --exclude <GLOBS>         Comma-separated globs of files and folders to leave out, relative to the current
                                directory (replaces the configuration's exclude)
      --extend-exclude <GLOBS>  The same, added to the configuration's exclude
      --force-exclude           Leave out excluded paths even when they are named on the command line or by
                                --stdin-filename (for pre-commit and editors, which name files one by one)
  -o, --output-file <PATH>      Write the report to PATH instead of stdout
  -q, --quiet                   Print the problems and nothing else (no summary)
  -s, --silent                  Print nothing on stdout; the exit status says whether problems were found
      --show-files              Print the files a check would read, and check nothing
      --show-settings           Print the first file's settings (its configuration file, whether it is excluded,
                                each rule on or off with its severity and fix), and check nothing
      --no-cache                Neither read nor write the cache of each file's findings (also REGLENS_NO_CACHE=1)
      --cache-dir <DIR>         Keep the cache in DIR (also REGLENS_CACHE_DIR; default: .reglens_cache in the
                                project's root, the folder of the nearest configuration file)
  -j, --jobs <N>                Check files on N worker threads (default: one per CPU core, at most one per 16
                                files; 1: one file after another on the main thread); --fix, --add-noqa and
                                --stdin-filename always use the main thread
  -h, --help                    Print help

Exit status: 0 no problems, 1 problems found, 2 usage, configuration or I/O error.
`;

export const CLEAN_HELP = `Remove the cache \`reglens check\` keeps of each file's findings.

Usage: reglens clean [--cache-dir <DIR>]

Removes the project's cache, .reglens_cache in the folder of the nearest configuration file (reglens.toml, or a
pyproject.toml with a [tool.reglens] table; the current folder when there is none), and every .reglens_cache below
the current folder; with --cache-dir or REGLENS_CACHE_DIR, that folder alone. A folder that holds no Reglens cache
is never removed.
`;

export const RULE_HELP = `Explain a rule.

Usage: reglens rule [CODE | NAME]

Without an argument, lists every rule.
`;
