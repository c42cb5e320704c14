// The `reglens` command line: `reglens check [PATH...]`, `reglens rule CODE`, `reglens profile`, `reglens clean`,
// `--version`, `--help`.
// Bundled to dist/cli.js, which bin/reglens.js loads; the CLI runs as soon as the bundle is loaded.
import { VERSION } from '../engine/project';
import { rules } from '../rules';
import { parseArgs, UsageError } from './args';
import { CHECK_HELP, CLEAN_HELP, MAIN_HELP, RULE_HELP } from './help';
import { removeCache } from './check-cache';
import { runCheck, type CliIo } from './check';
import { parseProfileArgs, PROFILE_HELP, runProfile } from './profile';
import { findRule, ruleDocs, ruleList } from './rule-docs';
import { watchCheck } from './watch';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
function useColor(): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  return process.stdout.isTTY === true;
}

function processIo(): CliIo {
  return {
    cwd: process.cwd(),
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    readStdin: () => fs.readFileSync(0),
    color: useColor(),
    // Built beside this bundle (esbuild.mjs); the workers load it as a file of its own.
    workerScript: path.join(__dirname, 'check-worker.js'),
  };
}

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  if (argv.length === 0) {
    io.stderr(MAIN_HELP);
    return 2;
  }
  let command: ReturnType<typeof parseArgs>;
  try {
    command = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`error: ${e.message}\n`);
    return 2;
  }
  switch (command.kind) {
    case 'help':
      io.stdout({ check: CHECK_HELP, rule: RULE_HELP, clean: CLEAN_HELP, main: MAIN_HELP }[command.topic]);
      return 0;
    case 'clean':
      return removeCache(command.cacheDir, io);
    case 'version':
      io.stdout(`reglens ${VERSION}\n`);
      return 0;
    case 'rule': {
      if (command.code === null) {
        io.stdout(ruleList());
        return 0;
      }
      const rule = findRule(command.code);
      if (!rule) {
        io.stderr(`error: unknown rule "${command.code}" (rules: ${rules.map((r) => r.meta.code).join(', ')})\n`);
        return 2;
      }
      io.stdout(ruleDocs(rule));
      return 0;
    }
    case 'check':
      return command.options.watch ? watchCheck(command.options, io) : runCheck(command.options, io);
    case 'profile': {
      let options: ReturnType<typeof parseProfileArgs>;
      try {
        options = parseProfileArgs(command.args);
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        io.stderr(`error: ${e.message}\n`);
        return 2;
      }
      if (options === 'help') {
        io.stdout(PROFILE_HELP);
        return 0;
      }
      return runProfile(options, io);
    }
  }
}

// `reglens check | head` closes the pipe early: stop quietly instead of crashing on EPIPE.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (e: unknown) => {
    process.stderr.write(`error: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 2;
  },
);
