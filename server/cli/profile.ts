// `reglens profile FILE`: finds the file's regularizer sites and measures each in training and evaluation in the
// profiler worker (dist/worker.js), printing the same figures as the editor's lenses and hovers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { backendLabel, implementationEvidence, resultLine, textBlock } from '../../kernels/format';
import { DEFAULT_PROFILER_OPTIONS, ProfileError, ProfilerHost } from '../../kernels/host';
import type { BackendSetting } from '../../kernels/backends';
import { FileModel } from '../engine/model';
import { initParser, ParseLimit, parseForAnalysis, type SourceFile } from '../engine/parser';
import { planSites, siteSeed, type RegularizerSite } from '../engine/sites';
import { parseShape } from '../engine/shapes';
import type { WorkspaceIndex } from '../engine/workspace';
import { cliIndex, indexRoots } from './check-file';
import { analysedText, readDocument } from '../core/document';
import type { CliIo } from './check';
import type { Position } from '../engine/types';
import { UsageError } from './args';

export interface ProfileOptions {
  files: string[];
  backend: BackendSetting;
  shape?: number[];
  format: 'text' | 'json';
  /** Text: every measurement of each site, not just its line. */
  details: boolean;
  timeoutMs: number;
  memoryBudgetMB: number;
}

export const PROFILE_HELP = `\
Profile every regularizer site of Python files: what each does to activations in training and evaluation.

Usage: reglens profile [OPTIONS] FILE...

FILE is a Python file, a Jupyter notebook (its code cells in order) or a folder of them.

Kernels run in a separate worker process on synthetic tensors; your code is never executed. Each site's shape
comes from a \`# reglens: shape=[8, 197, 384]\` comment on its line, else --shape, else the file's config
defaults (n_embd, dim, block_size, img_size/patch_size, ...), else [8, 256, 768].

Options:
      --backend <NAME>          auto (default: cuda, webgpu, wasm, then cpu), cuda, webgpu, wasm or cpu
      --shape <DIMS>            Shape for every site without a comment, e.g. 8,256,768
      --format <FORMAT>         text (default: one line per site) or json (every measurement)
      --details                 Text: every measurement of each site, with where its shape and rate came from
      --timeout-ms <MS>         Per-site time limit (default 60000)
      --memory-budget-mb <MB>   Refuse shapes that need more (default 1024)
  -h, --help                    Print help

Exit status: 0 every site profiled (or refused for a rate PyTorch rejects), 1 a site could not be profiled
(timeout, memory budget, worker failure), 2 usage or I/O error.
`;

const BACKENDS: readonly BackendSetting[] = ['auto', 'cuda', 'webgpu', 'wasm', 'cpu'];

export function parseProfileArgs(args: readonly string[]): ProfileOptions | 'help' {
  const options: ProfileOptions = {
    files: [],
    backend: 'auto',
    format: 'text',
    details: false,
    timeoutMs: DEFAULT_PROFILER_OPTIONS.timeoutMs,
    memoryBudgetMB: 1024,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-h' || arg === '--help') return 'help';
    if (!arg.startsWith('-')) {
      options.files.push(arg);
      continue;
    }
    if (arg === '--details') {
      options.details = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined) throw new UsageError(`${name} needs a value (see \`reglens profile --help\`)`);
    switch (name) {
      case '--backend':
        if (!BACKENDS.includes(value as BackendSetting))
          throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, not "${value}"`);
        options.backend = value as BackendSetting;
        break;
      case '--shape': {
        const shape = parseShape(value);
        if (!shape) throw new UsageError(`--shape must be 1 to 6 positive integers such as 8,256,768, not "${value}"`);
        options.shape = shape;
        break;
      }
      case '--format':
        if (value !== 'text' && value !== 'json') throw new UsageError(`--format must be text or json, not "${value}"`);
        options.format = value;
        break;
      case '--timeout-ms':
      case '--memory-budget-mb': {
        const n = Number(value);
        if (!(n > 0)) throw new UsageError(`${name} must be a positive number, not "${value}"`);
        if (name === '--timeout-ms') options.timeoutMs = n;
        else options.memoryBudgetMB = n;
        break;
      }
      default:
        throw new UsageError(`unknown option ${name} (see \`reglens profile --help\`)`);
    }
  }
  if (options.files.length === 0)
    throw new UsageError('`reglens profile` needs a Python file (see `reglens profile --help`)');
  return options;
}

export async function runProfile(options: ProfileOptions, io: CliIo): Promise<number> {
  await initParser();
  const host = new ProfilerHost({
    backend: options.backend,
    timeoutMs: options.timeoutMs,
    memoryBudgetBytes: options.memoryBudgetMB * 1024 * 1024,
    workerPath: path.join(__dirname, 'worker.js'),
    limitNames: { memoryBudget: '--memory-budget-mb', timeout: '--timeout-ms' },
  });
  host.onWorkerProblem = (m) => io.stderr(`warning: ${m}\n`);
  const records: unknown[] = [];
  const text = options.format === 'text';
  let status = 0;
  let backendNamed = false;
  let handWritten = false;
  /** The regularizer classes of the user's own that rows build, in order. */
  const built = new Set<string>();
  let index: WorkspaceIndex | undefined;
  try {
    for (const file of expandFolders(options.files, io.cwd)) {
      const absolute = path.resolve(io.cwd, file);
      // A notebook is profiled as its code cells joined in order; its sites are reported in their cells.
      const read = readDocument(absolute, file, 'profiled');
      if ('error' in read) {
        io.stderr(`error: ${read.error}\n`);
        status = 2;
        continue;
      }
      if ('skip' in read) {
        io.stderr(`warning: ${read.skip}\n`);
        continue;
      }
      const notebook = read.document.kind === 'notebook' ? read.document.cells : undefined;
      /** Where a site is: its cell, line and column, each counted from 1 (the cell in the notebook's `cells` array). */
      const locate = (at: Position): { line: number; column: number; cell?: number } => {
        const inCell = notebook?.toCell(at);
        const p = inCell?.position ?? at;
        return { ...(inCell ? { cell: inCell.cell.index + 1 } : {}), line: p.line + 1, column: p.character + 1 };
      };
      let source: SourceFile;
      try {
        source = parseForAnalysis(analysedText(read.document));
      } catch (e) {
        if (!(e instanceof ParseLimit)) throw e;
        io.stderr(`warning: ${file}: not profiled: ${e.message}\n`);
        continue;
      }
      try {
        // Regularizer classes imported from other files of the project are measured where this file builds them.
        index ??= cliIndex(indexRoots(options.files, io.cwd));
        const scope = index.scopeFor(absolute);
        const planned = planSites(new FileModel(source), options.shape, (name) => scope.regularizerClass(name));
        if (text && planned.length === 0) io.stdout(`${file}: no regularizer sites\n\n`);
        if (text && planned.length > 0 && !backendNamed) {
          // The backend is the same for every site: named once, at the top.
          backendNamed = true;
          const info = await host.backends().catch(() => undefined);
          if (info?.fallback) io.stderr(`warning: ${info.fallback}; using ${backendLabel(info)}\n`);
          if (info) io.stdout(`Profiling on ${backendLabel(info)}.\n\n`);
        }
        // One aligned line per site under the file's name; --details adds the table of every measurement.
        const rows = planned.map(({ site }) => {
          const at = locate(site.range.start);
          return {
            at,
            where: `${at.cell === undefined ? '' : `cell ${at.cell}:`}${at.line}:${at.column}`,
            label: rowLabel(site),
          };
        });
        const whereWidth = Math.max(0, ...rows.map((r) => r.where.length)) + 2;
        const labelWidth = Math.min(LABEL_WIDTH, Math.max(0, ...rows.map((r) => r.label.length))) + 2;
        if (text && planned.length > 0) io.stdout(`${file}\n`);
        for (const [i, { site, shape, shapeSource }] of planned.entries()) {
          const { at, where, label } = rows[i];
          handWritten ||= site.kind === 'hand-written';
          if (site.builds !== undefined) built.add(site.builds);
          const head = `  ${where.padEnd(whereWidth)}${clip(label, LABEL_WIDTH).padEnd(labelWidth)}`;
          const position = { path: file, ...at };
          if (site.notProfiled) {
            if (!text) records.push({ ...position, site: site.label, kind: site.kind, notProfiled: site.notProfiled });
            else io.stdout(`${head}${notProfiledLine(site.notProfiled)}\n`);
            continue;
          }
          try {
            const result = await host.profile({
              kernel: site.kernel,
              shape,
              seed: siteSeed(site),
              activeInEval: site.activeInEval,
            });
            if (!text) {
              records.push({
                ...position,
                site: site.label,
                kind: site.kind,
                rateSource: site.rateSource,
                shapeSource,
                result,
              });
              continue;
            }
            const evidence = implementationEvidence(result, site.expectedGranularity);
            const warnings = [
              evidence.expectation && `train and eval differ: ${evidence.expectation}`,
              evidence.granularity && `granularity: ${evidence.granularity}`,
            ].filter((w): w is string => !!w);
            const indent = ' '.repeat(2 + whereWidth);
            io.stdout(`${head}[${shape.join(', ')}]  ${resultLine(result)}\n`);
            for (const w of warnings) io.stdout(`${indent}${w}\n`);
            if (options.details)
              io.stdout(`${indent}shape: ${shapeSource}; ${site.rateSource}\n${textBlock(result)}\n\n`);
          } catch (e) {
            // A rate PyTorch itself rejects is a finding (RG008), not a profiler failure.
            if (!(e instanceof ProfileError && e.kind === 'invalid')) status = Math.max(status, 1);
            const message = e instanceof ProfileError ? e.message : String(e);
            if (!text) records.push({ ...position, site: site.label, error: message });
            else io.stdout(`${head}${notProfiledLine(message)}\n`);
          }
        }
        if (text && planned.length > 0) io.stdout('\n');
      } finally {
        source.dispose();
      }
    }
  } finally {
    host.dispose();
  }
  if (text && handWritten) io.stdout(`${HAND_WRITTEN_NOTE}\n`);
  if (text && built.size > 0) io.stdout(`${constructionNote([...built])}\n`);
  if (text && !options.details && backendNamed) io.stdout('--details shows every measurement of each site.\n');
  if (!text) io.stdout(`${JSON.stringify({ version: 1, sites: records }, null, 2)}\n`);
  return status;
}

/** A site's label is clipped here in the table; --details and JSON keep it whole. */
const LABEL_WIDTH = 40;

const HAND_WRITTEN_NOTE = [
  'A hand-written regularizer has two rows: "as read" measures what Reglens understood its code to do (its mask,',
  'scale and rate) with Reglens\'s own kernel; "its code" runs the code itself on synthetic tensors. When the two',
  'disagree, the code does not do what it reads as.',
].join('\n');

/** Under the table, when rows build regularizer classes of the user's own (`DropPath`, `FairseqDropout`). */
function constructionNote(classes: readonly string[]): string {
  const names = classes.map((c) => `\`${c}\``).join(', ');
  return wrap(
    `Where a regularizer class of your own is built (${names}), the row is that class profiled with the arguments ` +
      'passed there: its own code run with them, or, for a class that only applies a library regularizer, that ' +
      'regularizer at the rate they give.',
  );
}

/** Lines of at most 115 characters, as the table's notes are printed. */
function wrap(text: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > 115) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line].join('\n');
}

function rowLabel(site: RegularizerSite): string {
  return site.kind === 'hand-written' ? `${site.label} (as read)` : site.label;
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** Interpreted code's reasons already read `not profiled: …`. */
function notProfiledLine(reason: string): string {
  return reason.startsWith('not profiled:') ? reason : `not profiled: ${reason}`;
}

/** A folder stands for its *.py and *.ipynb files (sorted, not recursive: `reglens profile examples/`). */
function expandFolders(files: string[], cwd: string): string[] {
  return files.flatMap((file) => {
    try {
      if (!fs.statSync(path.resolve(cwd, file)).isDirectory()) return [file];
    } catch {
      return [file];
    }
    return fs
      .readdirSync(path.resolve(cwd, file))
      .filter((name) => /\.(py|ipynb)$/i.test(name))
      .sort()
      .map((name) => path.join(file, name));
  });
}
