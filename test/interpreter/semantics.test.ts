// Two readings of the same code must agree: the symbolic semantics (server/engine/semantics/) and the
// interpreter running it. For every hand-written regularizer in the RG003–RG005 fixtures and the examples whose
// semantics are numbers and whose code is in the interpreted subset, the measured granularity is the derived one
// and E[y]/E[x] agrees with keep × scale (training) and the evaluation factor, within the bounds of
// interpreter.test.ts. Every site the interpreter cannot run says so in the one unsupported-construct sentence.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { before, test } from 'node:test';
import { selectBackend } from '../../kernels/backends';
import { FileModel } from '../../server/engine/model';
import { initParser, SourceFile } from '../../server/engine/parser';
import { findSites, type RegularizerSite } from '../../server/engine/sites';
import { profileProgramHere, SHAPE } from './corpus';

/** The reasons a hand-written regularizer's own code is not profiled. */
const NOT_PROFILED_REASONS = [
  /uses `[^`]+` at line \d+ \(unsupported\)/,
  /`[\w.]+` has no default value, so the profiler has nothing to pass for it/,
];

const Z = 5;
const FILES = [
  'test/rules/RG003/fire.py',
  'test/rules/RG003/silent.py',
  'test/rules/RG004/fire.py',
  'test/rules/RG004/silent.py',
  'test/rules/RG005/fire.py',
  'test/rules/RG005/silent.py',
  'examples/handwritten_regularizers.py',
];

before(async () => {
  await initParser();
  await selectBackend('cpu');
});

function sites(path: string): RegularizerSite[] {
  const file = new SourceFile(fs.readFileSync(path, 'utf8'));
  try {
    return findSites(new FileModel(file));
  } finally {
    file.dispose();
  }
}

/** The hand-written site (the code as read) of an implementation site (the code run). */
function twinOf(all: RegularizerSite[], impl: RegularizerSite): RegularizerSite | undefined {
  const id = impl.id.slice('implementation'.length);
  return all.find((s) => s.kind === 'hand-written' && s.id.slice('hand-written'.length) === id);
}

test('every hand-written site has an implementation twin on the same name, runnable or saying why', () => {
  for (const path of FILES) {
    const all = sites(path);
    const handWritten = all.filter((s) => s.kind === 'hand-written');
    // A construction of the class elsewhere in the file (construction-sites.ts) runs its code with the arguments
    // passed there and has no twin.
    const implementations = all.filter((s) => s.kind === 'implementation' && !s.builds);
    assert.ok(handWritten.length > 0, path);
    assert.deepEqual(
      implementations.map((s) => JSON.stringify(s.range)),
      handWritten.map((s) => JSON.stringify(s.range)),
      path,
    );
    for (const s of implementations) {
      if (s.notProfiled)
        assert.match(
          s.notProfiled,
          new RegExp(`^not profiled: (${NOT_PROFILED_REASONS.map((r) => r.source).join('|')})$`),
          `${path}: ${s.label}`,
        );
      else assert.equal(s.kernel.kind, 'program');
    }
  }
});

test('an entry argument with no default is said in the lens before anything runs', () => {
  const torchvision = sites('test/rules/RG003/silent.py').find(
    (s) => s.kind === 'implementation' && s.label.startsWith('def stochastic_depth('),
  );
  assert.equal(
    torchvision?.notProfiled,
    'not profiled: `mode` has no default value, so the profiler has nothing to pass for it',
  );
});

test('the interpreter measures what the symbolic semantics derived, fixture by fixture', async () => {
  let compared = 0;
  const N = SHAPE.reduce((a, b) => a * b, 1) * 16;
  for (const path of FILES) {
    const all = sites(path);
    for (const impl of all.filter((s) => s.kind === 'implementation' && !s.builds && !s.notProfiled)) {
      const twin = twinOf(all, impl)!;
      if (twin.notProfiled || twin.kernel.kind !== 'semantics' || impl.kernel.kind !== 'program' || twin.activeInEval)
        continue;
      const sem = twin.kernel.semantics;
      const what = `${path}: ${impl.label}`;
      let r: Awaited<ReturnType<typeof profileProgramHere>>;
      try {
        r = await profileProgramHere(impl.kernel.name, impl.kernel.program);
      } catch (e) {
        // The code itself stops at these arguments (a raise, a shape PyTorch rejects): nothing to compare.
        assert.match((e as Error).message, /^not profiled: /, what);
        continue;
      }
      compared++;
      const g = r.implementation!.granularity.train;
      if (g !== 'none') assert.equal(g, sem.granularity, `${what}: granularity`);
      const keep = sem.keepProb;
      const units = r.train.units;
      const expected = keep * sem.trainScale;
      const bound =
        Z * sem.trainScale * Math.sqrt((2 * keep * (1 - keep)) / units) +
        Z * Math.sqrt(2 / N) * Math.max(1, sem.trainScale);
      assert.ok(
        Math.abs(r.train.meanRatio - expected) <= bound,
        `${what}: train E[y]/E[x] ${r.train.meanRatio} vs derived ${expected} ± ${bound}`,
      );
      assert.ok(
        Math.abs(r.eval.meanRatio - sem.evalFactor) <= 1e-4,
        `${what}: eval E[y]/E[x] ${r.eval.meanRatio} vs derived ${sem.evalFactor}`,
      );
    }
  }
  assert.ok(compared >= 20, `${compared} regularizers compared`);
});

test('a regularizer read as still masking in evaluation (RG006) does so when its code runs, and only then', async () => {
  const files = [
    'test/rules/RG006/fire_hand_written_module.py',
    'test/rules/RG006/silent_hand_written_module.py',
    'examples/drop_path_in_eval.py',
  ];
  const seen = { active: 0, identity: 0 };
  for (const path of files) {
    const all = sites(path);
    for (const impl of all.filter((s) => s.kind === 'implementation' && !s.builds && !s.notProfiled)) {
      const twin = twinOf(all, impl);
      // At a rate of 0 (Megatron's default) nothing is dropped in either mode: nothing to compare.
      if (!twin || twin.notProfiled || impl.kernel.kind !== 'program' || twin.kernel.kind !== 'semantics') continue;
      if (twin.kernel.semantics.keepProb >= 1) continue;
      // 256 samples: a drop path at 10% keeps every one of them with probability 0.9^256, about 2e-12.
      const r = await profileProgramHere(impl.kernel.name, impl.kernel.program, 1, [256, 4, 8]);
      assert.equal(r.eval.droppedFraction > 0, twin.activeInEval, `${path}: ${impl.label}`);
      seen[twin.activeInEval ? 'active' : 'identity']++;
    }
  }
  // The fixture's drop path and the dropout with a masking evaluation branch, the example's drop path, MCDropout; and
  // those that stop in evaluation.
  assert.ok(seen.active >= 4 && seen.identity >= 1, JSON.stringify(seen));
});
