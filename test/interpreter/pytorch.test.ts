// Differential test against real PyTorch (Debian's python3-torch): every corpus regularizer runs as Python in torch,
// in a subprocess of this test only, and through Reglens' interpreter on tfjs, with the same arguments, shape and
// number of draws. The measured granularity must be the same, and the zeroed fraction and E[y]/E[x] in both modes
// agree within bounds from the sample size: two independent estimates differ by at most Z·sqrt(2)·sd, with sd as in
// interpreter.test.ts, Z = 5. Skipped, with the reason, where `import torch` fails.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { findTorchPython, runPython } from '../../bench/pytorch';
import { selectBackend } from '../../kernels/backends';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RegularizerProgram } from '../../kernels/program';
import { FileModel } from '../../server/engine/model';
import { initParser, SourceFile } from '../../server/engine/parser';
import { findSites } from '../../server/engine/sites';
import { loadCorpus, profileProgramHere, SHAPE, type CorpusEntry } from './corpus';

const Z = 5;
/** As many as the profiler draws at most for a coarse mask. */
const TRAIN_DRAWS = 64;
const EVAL_DRAWS = 4;

interface TorchMode {
  granularity: string;
  dropped: number;
  n: number;
  units: number;
  meanRatio: number;
}

// Runs user code: allowed here and only here (a test's subprocess), never in Reglens itself.
const SCRIPT = `
import json, random, sys
import numpy as np
import torch
req = json.load(sys.stdin)
shape = req["shape"]
ORDER = ["batch", "sample", "channel", "element"]

def unit_size(g, shape):
    size = lambda dims: int(np.prod(dims)) if dims else 1
    if g == "element": return 1
    if g == "channel": return size(shape[2:]) if len(shape) >= 3 else size(shape[1:])
    if g == "sample": return size(shape[1:])
    return size(shape)

def measure(run, draws, seed):
    torch.manual_seed(seed); random.seed(seed); np.random.seed(seed)
    counts = {g: [0, 0, 0] for g in ORDER}
    dropped = n = 0
    sx = sy = 0.0
    for d in range(draws):
        x = torch.randn(shape) + 1.0
        with torch.no_grad():
            y = run(x.clone())
        z = ((y == 0) & (x != 0)).reshape(-1)
        dropped += int(z.sum()); n += z.numel()
        sx += float(x.double().sum()); sy += float(y.double().sum())
        for g in ORDER:
            u = z.reshape(-1, unit_size(g, shape)).sum(dim=1)
            full = unit_size(g, shape)
            counts[g][0] += u.numel(); counts[g][1] += int((u == full).sum()); counts[g][2] += int(((u > 0) & (u < full)).sum())
    g = "none" if dropped == 0 else next((g for g in ORDER if counts[g][2] == 0), "element")
    units = counts["element" if g == "none" else g][0]
    return {"granularity": g, "dropped": dropped, "n": n, "units": units, "meanRatio": sy / sx}

out = {}
for item in req["items"]:
    ns = {}
    exec(compile(item["source"], item["file"], "exec"), ns)
    entry = ns[item["entry"]]
    res = {}
    for mode in ("train", "eval"):
        training = mode == "train"
        if item["isClass"]:
            module = entry(**item["initArgs"])
            module.train(training)
            run = lambda x, m=module: m(x)
        else:
            kwargs = dict(item["args"])
            if item["trainingParam"]: kwargs[item["trainingParam"]] = training
            run = lambda x, kw=kwargs: entry(x, **kw)
        res[mode] = measure(run, req["trainDraws"] if training else req["evalDraws"], 1 if training else 2)
    out[item["file"]] = res
print(json.dumps(out))
`;

let python: string | undefined;
let reason: string | undefined;
let corpus: CorpusEntry[] = [];
let torch: Record<string, { train: TorchMode; eval: TorchMode }> = {};

/** The constructions of constructions.py's own regularizer classes, as the profiler plans them. */
const CONSTRUCTIONS = path.join(__dirname, 'constructions.py');
const constructionSource = fs.readFileSync(CONSTRUCTIONS, 'utf8');
let constructions: Array<{ key: string; label: string; program: RegularizerProgram }> = [];

/** Only the values the extraction chose (assumed rates): defaults stay the code's own on both sides. */
function chosen(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v === null || typeof v !== 'object'));
}

before(async () => {
  await initParser();
  corpus = loadCorpus('corpus').filter((c) => c.expect.granularity);
  const file = new SourceFile(constructionSource);
  try {
    constructions = findSites(new FileModel(file)).flatMap((s) =>
      s.kind === 'implementation' && s.kernel.kind === 'program' && !/^(class|def) /.test(s.label)
        ? [{ key: `constructions.py:${s.range.start.line + 1}`, label: s.label, program: s.kernel.program }]
        : [],
    );
  } finally {
    file.dispose();
  }
  const found = findTorchPython();
  python = found.python;
  reason = found.reason;
  if (!python) return;
  await selectBackend('cpu');
  torch = runPython(python, SCRIPT, {
    shape: SHAPE,
    trainDraws: TRAIN_DRAWS,
    evalDraws: EVAL_DRAWS,
    items: corpus
      .map((c) => ({
        file: c.file,
        source: c.source,
        entry: c.entry,
        isClass: !!c.extracted.program.entry.className,
        trainingParam: c.extracted.program.trainingParam ?? null,
        args: chosen(c.extracted.program.args),
        initArgs: chosen(c.extracted.program.initArgs),
      }))
      .concat(
        constructions.map((c) => ({
          file: c.key,
          source: constructionSource,
          entry: c.program.entry.className!,
          isClass: true,
          trainingParam: null,
          args: {},
          // The class built as the construction builds it: the arguments it passes, read statically.
          initArgs: chosen(c.program.initArgs),
        })),
      ),
  });
});

function agree(
  what: string,
  ours: { droppedFraction: number; units: number; meanRatio: number },
  theirs: TorchMode,
  scale: number,
): void {
  const f2 = theirs.dropped / theirs.n;
  const p = (ours.droppedFraction + f2) / 2;
  const dropBound = Z * Math.sqrt(p * (1 - p) * (1 / ours.units + 1 / theirs.units)) + 1e-12;
  assert.ok(
    Math.abs(ours.droppedFraction - f2) <= dropBound,
    `${what}: zeroed ${ours.droppedFraction} (ours, ${ours.units} units) vs ${f2} (torch, ${theirs.units} units), ` +
      `bound ${dropBound}`,
  );
  const keep = 1 - p;
  const N = theirs.n;
  const sd =
    scale * Math.sqrt((2 * keep * (1 - keep)) / Math.min(ours.units, theirs.units)) +
    Math.sqrt(2 / N) * Math.max(1, scale);
  const bound = Z * Math.SQRT2 * sd;
  assert.ok(
    Math.abs(ours.meanRatio - theirs.meanRatio) <= bound,
    `${what}: E[y]/E[x] ${ours.meanRatio} (ours) vs ${theirs.meanRatio} (torch), bound ${bound}`,
  );
}

test('corpus regularizers behave in the interpreter as in PyTorch: granularity, zeroed share, E[y]/E[x]', async (t) => {
  if (!python) {
    t.skip(reason!);
    return;
  }
  assert.ok(corpus.length >= 25);
  for (const c of corpus) {
    const theirs = torch[c.file];
    assert.ok(theirs, `${c.file} ran in torch`);
    const r = await profileProgramHere(c.entry, c.extracted.program, 3);
    const impl = r.implementation!;
    // A coarse mask may drop nothing in a run of draws; then only the zeroed fractions are compared (below).
    for (const mode of ['train', 'eval'] as const) {
      if (impl.granularity[mode] !== 'none' && theirs[mode].granularity !== 'none')
        assert.equal(impl.granularity[mode], theirs[mode].granularity, `${c.file}: ${mode} granularity`);
    }
    assert.equal(impl.granularity.train, c.expect.granularity, `${c.file}: the granularity the code means`);
    const scale = Number.isFinite(impl.keptScale.mean) ? impl.keptScale.mean : 1;
    agree(`${c.file} train`, r.train, theirs.train, scale);
    if (theirs.eval.granularity === 'none' && impl.granularity.eval === 'none')
      assert.ok(
        Math.abs(r.eval.meanRatio - theirs.eval.meanRatio) <= 1e-4,
        `${c.file} eval: ${r.eval.meanRatio} vs ${theirs.eval.meanRatio}`,
      );
    else agree(`${c.file} eval`, r.eval, theirs.eval, scale);
  }
});

test("a construction of the file's own regularizer class runs as PyTorch runs it with its arguments", async (t) => {
  if (!python) {
    t.skip(reason!);
    return;
  }
  assert.deepEqual(
    constructions.map((c) => c.label),
    [
      'DropPath(drop_path) (its code)',
      'InlineDropPath(drop_prob=0.2) (its code)',
      'SwitchedDropPath(0.25) (its code)',
      'SwitchedDropPath(0.25, scale_by_keep=False) (its code)',
    ],
  );
  const trainMeans: number[] = [];
  for (const c of constructions) {
    const theirs = torch[c.key];
    assert.ok(theirs, `${c.key} ran in torch`);
    const r = await profileProgramHere(c.program.entry.className!, c.program, 3);
    const impl = r.implementation!;
    assert.equal(impl.granularity.train, 'sample', `${c.label}: one decision per sample`);
    assert.equal(theirs.train.granularity, 'sample', `${c.label}: one decision per sample in torch`);
    const scale = Number.isFinite(impl.keptScale.mean) ? impl.keptScale.mean : 1;
    agree(`${c.label} train`, r.train, theirs.train, scale);
    assert.ok(Math.abs(r.eval.meanRatio - theirs.eval.meanRatio) <= 1e-4, `${c.label}: identity in evaluation`);
    trainMeans.push(theirs.train.meanRatio);
  }
  // The construction's own rate and switch reach the run: scale_by_keep=False leaves E[y]/E[x] near 1 - 0.25.
  assert.ok(trainMeans[3] < 0.9 && trainMeans[2] > 0.85, JSON.stringify(trainMeans));
});
