// (g) The interpreter's cost: a hand-written regularizer run through kernels/interpreter/ next to the fixed kernel
// of the same semantics, per backend, at [8,256,768], in the real worker; and Debian PyTorch running the same Python
// source on the CPU. Every figure is from this run (ratios side by side).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ProfilerHost } from '../kernels/host';
import type { KernelSpec } from '../kernels/plan';
import { FileModel } from '../server/engine/model';
import { initParser, SourceFile } from '../server/engine/parser';
import { extractProgram } from '../server/engine/regularizer-program';
import { findTorchPython, runPython } from './pytorch';
import { fmt, table } from './table';

const ROOT = path.resolve(__dirname, '..');
const WORKER = path.join(ROOT, 'dist', 'worker.js');
const SHAPE = [8, 256, 768];

const CASES: Array<{ file: string; entry: string; fixed: KernelSpec }> = [
  {
    file: 'timm_drop_path_module.py',
    entry: 'DropPath',
    fixed: {
      kind: 'semantics',
      semantics: { granularity: 'sample', keepProb: 0.9, trainScale: 1 / 0.9, evalFactor: 1 },
    },
  },
  { file: 'bernoulli_inplace.py', entry: 'dropout', fixed: { kind: 'dropout', p: 0.3 } },
];

const TORCH_SCRIPT = `
import json, sys, time, torch
req = json.load(sys.stdin)
out = []
for case in req["cases"]:
    ns = {}
    exec(compile(case["source"], case["file"], "exec"), ns)
    entry = ns[case["entry"]]
    run = (lambda m: (lambda x: m(x)))(entry().train()) if isinstance(entry, type) else (lambda x: entry(x, training=True))
    x = torch.randn(req["shape"]) + 1
    with torch.no_grad():
        for _ in range(3): run(x)
        times = []
        for _ in range(9):
            t = time.perf_counter(); run(x); times.append((time.perf_counter() - t) * 1000)
    times.sort()
    out.append(times[len(times) // 2])
print(json.dumps(out))
`;

export async function interpreterBenchmark(): Promise<void> {
  console.log(
    `(g) Interpreted hand-written regularizers vs the fixed kernel of the same semantics, [${SHAPE.join(',')}], ` +
      `median ms per training call`,
  );
  await initParser();
  const programs = CASES.map((c) => {
    const source = fs.readFileSync(path.join(ROOT, 'test', 'interpreter', 'corpus', c.file), 'utf8');
    const file = new SourceFile(source);
    try {
      const def = file.root.namedChildren.find((n) => n?.childForFieldName('name')?.text === c.entry)!;
      const extracted = extractProgram(new FileModel(file), def);
      if (typeof extracted === 'string') throw new Error(extracted);
      return { ...c, source, program: extracted.program };
    } finally {
      file.dispose();
    }
  });
  const torch = findTorchPython();
  const torchMs: number[] = torch.python
    ? runPython(torch.python, TORCH_SCRIPT, {
        shape: SHAPE,
        cases: programs.map((p) => ({ file: p.file, entry: p.entry, source: p.source })),
      })
    : [];
  if (!torch.python) console.log(`    PyTorch: skipped: ${torch.reason}`);
  const rows: (string | number)[][] = [];
  for (const [i, p] of programs.entries()) {
    if (torchMs[i] !== undefined)
      rows.push([p.file, `PyTorch ${torch.version} CPU (the same source)`, fmt(torchMs[i], 2), '', '']);
    for (const backend of ['webgpu', 'wasm', 'cpu'] as const) {
      const host = new ProfilerHost({
        backend,
        timeoutMs: 600_000,
        memoryBudgetBytes: 4 * 1024 ** 3,
        workerPath: WORKER,
      });
      try {
        const info = await host.backends();
        if (info.backend !== backend) {
          rows.push([p.file, backend, 'skipped', '', info.fallback ?? '']);
          continue;
        }
        const fixed = await host.profile({ kernel: p.fixed, shape: SHAPE, seed: 1, repeats: 9 });
        const interpreted = await host.profile({
          kernel: { kind: 'program', name: p.entry, program: p.program, rate: p.program.rate ?? 0.1 },
          shape: SHAPE,
          seed: 1,
          repeats: 9,
        });
        rows.push([
          p.file,
          `${backend} fixed kernel${fixed.fused ? ' (fused)' : ''}`,
          fmt(fixed.timing.medianMs, 2),
          '1.00',
          '',
        ]);
        rows.push([
          p.file,
          `${backend} interpreted (${interpreted.implementation?.steps} steps)`,
          fmt(interpreted.timing.medianMs, 2),
          fmt(interpreted.timing.medianMs / fixed.timing.medianMs, 2),
          torchMs[i] !== undefined ? `${fmt(interpreted.timing.medianMs / torchMs[i], 2)}× PyTorch` : '',
        ]);
      } catch (e) {
        rows.push([p.file, backend, 'failed', '', (e as Error).message.slice(0, 80)]);
      } finally {
        host.dispose();
      }
    }
  }
  console.log(table(['regularizer', 'run', 'ms/call', '/ fixed', 'note'], rows));
}
