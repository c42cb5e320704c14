// Part (a): lint throughput on CPython's standard library, Reglens against Ruff's wasm build, in one process on
// the same in-memory files.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PositionEncoding, Workspace } from '@astral-sh/ruff-wasm-nodejs';
import { Analyzer, lintText, mayHaveFindings } from '../server/engine/analyze';
import { RuleSelection } from '../server/engine/config';
import { initParser, SourceFile } from '../server/engine/parser';
import { rules } from '../server/rules';

export interface Corpus {
  roots: string[];
  files: { path: string; text: string }[];
  bytes: number;
}

/** Every *.py under /usr/lib/python3.*\/ (tests, idlelib, site/dist-packages included), read into memory. */
export function loadStdlib(): Corpus {
  const roots = fs
    .readdirSync('/usr/lib', { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^python3\.\d+$/.test(e.name))
    .map((e) => path.join('/usr/lib', e.name));
  const files: Corpus['files'] = [];
  let bytes = 0;
  const visit = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) visit(full);
      else if (e.isFile() && e.name.endsWith('.py')) {
        try {
          const buffer = fs.readFileSync(full);
          bytes += buffer.length;
          files.push({ path: full, text: buffer.toString('utf8') });
        } catch {
          // Unreadable: not part of the corpus.
        }
      }
    }
  };
  roots.forEach(visit);
  return { roots, files, bytes };
}

export interface Measurement {
  label: string;
  seconds: number;
  /** Findings (Reglens) or diagnostics (Ruff). */
  findings: number;
  /** Files the tool actually parsed. */
  parsed: number;
  failures: number;
}

type Runner = (corpus: Corpus) => Measurement;

export async function throughputRunners(): Promise<Record<'reglens' | 'raw' | 'ruff', Runner>> {
  await initParser();
  const selection = new RuleSelection({});
  const ruff = new Workspace(Workspace.defaultSettings(), PositionEncoding.Utf16);
  return {
    // What `reglens check` does per file: prefilter, then parse and analyse with every rule.
    reglens: (corpus) => {
      let findings = 0;
      let parsed = 0;
      let failures = 0;
      const start = performance.now();
      for (const { text } of corpus.files) {
        try {
          if (mayHaveFindings(rules, text, selection)) parsed++;
          findings += lintText(rules, text, selection).length;
        } catch {
          failures++;
        }
      }
      return {
        label: 'Reglens (prefilter + parse + analyse)',
        seconds: (performance.now() - start) / 1000,
        findings,
        parsed,
        failures,
      };
    },
    // The honest parsing cost: every file parsed and analysed, no prefilter.
    raw: (corpus) => {
      let findings = 0;
      let failures = 0;
      const start = performance.now();
      for (const { text } of corpus.files) {
        try {
          const file = new SourceFile(text);
          try {
            findings += new Analyzer(rules).rawFindings(file).length;
          } finally {
            file.dispose();
          }
        } catch {
          failures++;
        }
      }
      return {
        label: 'Reglens without prefilter (parse + analyse all)',
        seconds: (performance.now() - start) / 1000,
        findings,
        parsed: corpus.files.length - failures,
        failures,
      };
    },
    ruff: (corpus) => {
      let findings = 0;
      let failures = 0;
      const start = performance.now();
      for (const { text } of corpus.files) {
        try {
          findings += (ruff.check(text) as unknown[]).length;
        } catch {
          failures++;
        }
      }
      return {
        label: `Ruff ${Workspace.version()} wasm (default rules)`,
        seconds: (performance.now() - start) / 1000,
        findings,
        parsed: corpus.files.length - failures,
        failures,
      };
    },
  };
}
