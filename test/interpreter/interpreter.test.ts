// The interpreter on its corpus (CPU backend): every correct and buggy hand-written regularizer measures the
// granularity, drop rate and E[y]/E[x] its code means, in training and in evaluation. Bounds follow from the sample
// size: a drop fraction over U independent units lies within p ± Z·sqrt(p(1−p)/U); E[y]/E[x] = s·(kept share of
// Σx) within Z·s·sqrt(2·keep(1−keep)/U) (unit sums of x ~ N(size, size) add at most a factor 2 to the binomial
// variance) plus Z·sqrt(2/N)·max(1, s) for value noise; Z = 5 (false failure < 6e-7 per check).
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { selectBackend } from '../../kernels/backends';
import { unsupportedMessage } from '../../kernels/program';
import { initParser } from '../../server/engine/parser';
import { loadCorpus, profileProgramHere, SHAPE, type CorpusEntry } from './corpus';

const Z = 5;
let corpus: CorpusEntry[] = [];
let hostile: CorpusEntry[] = [];

before(async () => {
  await initParser();
  await selectBackend('cpu');
  corpus = loadCorpus('corpus');
  hostile = loadCorpus('hostile');
});

test('the corpus holds at least 25 hand-written regularizers, correct and buggy', () => {
  const profiled = corpus.filter((c) => c.expect.granularity);
  assert.ok(corpus.length >= 25, `${corpus.length} fixtures`);
  assert.ok(
    profiled.some((c) => c.expect.train !== '1' || (c.expect.eval !== '1' && c.expect.eval !== c.expect.train)),
    'buggy ones',
  );
  assert.ok(profiled.filter((c) => c.expect.train === '1' && c.expect.eval === '1').length >= 10, 'correct ones');
});

test('every corpus regularizer measures what its code means, in training and evaluation', async () => {
  const N = SHAPE.reduce((a, b) => a * b, 1) * 16;
  for (const c of corpus.filter((e) => e.expect.granularity)) {
    const what = `${c.file}: `;
    assert.equal(c.extracted.unsupported, undefined, `${what}extracted without unsupported constructs`);
    const r = await profileProgramHere(c.entry, c.extracted.program);
    const impl = r.implementation!;
    assert.equal(impl.granularity.train, c.expect.granularity, `${what}granularity`);
    const p = Number(c.expect.drop);
    const keep = 1 - p;
    const units = r.train.units;
    assert.ok(
      Math.abs(r.train.droppedFraction - p) <= Z * Math.sqrt((p * (1 - p)) / units) + 1e-12,
      `${what}drop ${r.train.droppedFraction} vs ${p} over ${units} units`,
    );
    const trainExpected = Number(c.expect.train);
    const s = keep > 0 ? trainExpected / keep : 1;
    const bound = Z * s * Math.sqrt((2 * keep * (1 - keep)) / units) + Z * Math.sqrt(2 / N) * Math.max(1, s);
    assert.ok(
      Math.abs(r.train.meanRatio - trainExpected) <= bound,
      `${what}train E[y]/E[x] ${r.train.meanRatio} vs ${trainExpected} ± ${bound}`,
    );
    if (c.expect.eval === 'stochastic') {
      assert.notEqual(impl.granularity.eval, 'none', `${what}still drops in evaluation`);
      assert.ok(r.eval.droppedFraction > 0, `${what}evaluation drops`);
    } else {
      assert.equal(impl.granularity.eval, 'none', `${what}nothing dropped in evaluation`);
      assert.ok(
        Math.abs(r.eval.meanRatio - Number(c.expect.eval)) <= 1e-4,
        `${what}eval E[y]/E[x] ${r.eval.meanRatio} vs ${c.expect.eval}`,
      );
      if (c.expect.eval === '1') assert.ok(r.eval.identity, `${what}evaluation is the identity`);
    }
  }
});

test('the same request gives the same figures (seeded draws)', async () => {
  const c = corpus.find((e) => e.file === 'timm_drop_path_module.py')!;
  const a = await profileProgramHere(c.entry, c.extracted.program, 7);
  const b = await profileProgramHere(c.entry, c.extracted.program, 7);
  const other = await profileProgramHere(c.entry, c.extracted.program, 8);
  assert.equal(a.train.droppedFraction, b.train.droppedFraction);
  assert.equal(a.train.meanRatio, b.train.meanRatio);
  assert.notEqual(a.train.meanRatio, other.train.meanRatio, 'another seed draws other masks');
});

test('an unsupported construct is named with its line before anything runs; the interpreter stops at it', async () => {
  const unsupported = corpus.filter((e) => e.expect.unsupported);
  assert.ok(unsupported.length >= 3);
  for (const c of unsupported) {
    const message = unsupportedMessage(c.expect.unsupported, Number(c.expect.line));
    assert.equal(c.extracted.unsupported, message, c.file);
    // The worker never trusts the host's check: run anyway, it stops with the same sentence.
    await assert.rejects(profileProgramHere(c.entry, c.extracted.program), (e: Error) => e.message === message, c.file);
  }
});

test('hostile inputs hit the step, tensor size, recursion and memory limits with a clear message', async () => {
  const limits = new Set<string>();
  for (const c of hostile) {
    assert.equal(c.extracted.unsupported, undefined, `${c.file} is in the subset: only a limit stops it`);
    const started = Date.now();
    await assert.rejects(profileProgramHere(c.entry, c.extracted.program), (e: Error) => {
      assert.match(
        e.message,
        new RegExp(`^not profiled: .*line ${c.expect.line}\\b.*\\(the ${c.expect.limit}`),
        c.file,
      );
      return true;
    });
    assert.ok(Date.now() - started < 30_000, `${c.file} stopped in ${Date.now() - started} ms`);
    limits.add(c.expect.limit);
  }
  assert.deepEqual([...limits].sort(), ['memory limit', 'recursion limit', 'step limit', 'tensor size limit']);
});

test('a program whose code never ends in time hits the time limit', async () => {
  const c = hostile.find((e) => e.file === 'while_true.py')!;
  const { interpret } = await import('../../kernels/interpreter/interpret');
  const { tf } = await import('../../kernels/tf');
  const t = tf();
  const x = t.ones([2, 3]);
  try {
    assert.throws(
      () =>
        t.tidy(() =>
          interpret(c.extracted.program, x, {
            training: true,
            seed: 1,
            limits: { maxSteps: 1e12, maxElements: 1e6, maxDepth: 8, maxMs: 200 },
          }),
        ),
      /after 200 ms \(the time limit\)/,
    );
  } finally {
    x.dispose();
  }
});
