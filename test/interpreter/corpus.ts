/**
 * The interpreter's corpus: one hand-written regularizer per file in corpus/ (hostile inputs in hostile/), each
 * opening with `# entry: NAME` and `# expect: …` — the granularity, drop rate and E[y]/E[x] in training and
 * evaluation that the code means, or the unsupported construct / limit it must stop at, with its line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProfileResult } from '../../kernels/profile-result';
import { profileKernel } from '../../kernels/profile';
import type { RegularizerProgram } from '../../kernels/program';
import { FileModel } from '../../server/engine/model';
import { SourceFile, type Node } from '../../server/engine/parser';
import { extractProgram, type ExtractedProgram } from '../../server/engine/regularizer-program';

export const SHAPE = [8, 16, 32];

export interface CorpusEntry {
  file: string;
  source: string;
  entry: string;
  expect: Record<string, string>;
  extracted: ExtractedProgram;
}

const DIR = path.dirname(new URL(import.meta.url).pathname);

export function definition(file: SourceFile, name: string): Node {
  for (const stmt of file.root.namedChildren) {
    const def = stmt?.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
    if (def?.childForFieldName('name')?.text === name) return def;
  }
  throw new Error(`no top-level definition ${name}`);
}

/** Every fixture of `folder` (corpus or hostile), extracted. Call after `initParser()`. */
export function loadCorpus(folder: 'corpus' | 'hostile'): CorpusEntry[] {
  const dir = path.join(DIR, folder);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.py'))
    .sort()
    .map((f) => {
      const source = fs.readFileSync(path.join(dir, f), 'utf8');
      const entry = /^# entry: (\w+)$/m.exec(source)?.[1];
      const expectLine = /^# expect: (.*)$/m.exec(source)?.[1];
      if (!entry || !expectLine) throw new Error(`${f}: no # entry / # expect header`);
      const expect: Record<string, string> = {};
      for (const m of expectLine.matchAll(/(\w+)=((?:(?! \w+=).)+)/g)) expect[m[1]] = m[2];
      const file = new SourceFile(source);
      try {
        const extracted = extractProgram(new FileModel(file), definition(file, entry));
        if (typeof extracted === 'string') throw new Error(`${f}: ${extracted}`);
        return { file: f, source, entry, expect, extracted };
      } finally {
        file.dispose();
      }
    });
}

export function programKernel(name: string, program: RegularizerProgram) {
  return { kind: 'program' as const, name, program, rate: program.rate ?? 0.1 };
}

/** Profiles a program on the active backend, in this process (the worker runs the same function). */
export function profileProgramHere(
  name: string,
  program: RegularizerProgram,
  seed = 1,
  shape = SHAPE,
): Promise<ProfileResult> {
  return profileKernel(
    { kernel: programKernel(name, program), shape, seed, repeats: 1 },
    { backend: 'test', device: 'test', isCancelled: () => false, sync: async () => undefined },
  );
}
