// The fast Philox paths of the cpu and wasm backends (kernels/philox-wasm.ts: SIMD WebAssembly, scalar
// WebAssembly, integer-only JavaScript) against the reference in kernels/philox.ts, bit for bit: a mask that drifts
// from the WGSL kernel's by one word would make a seed mean different things on different backends.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { maskScaleInto } from '../../kernels/fused-js';
import type { FusedAttrs } from '../../kernels/ops';
import { dropThreshold, keepUnit, philox4, seedKey } from '../../kernels/philox';
import { CHUNK_COUNTERS, philoxPath, philoxWords, usePhiloxPath, type PhiloxPath } from '../../kernels/philox-wasm';

const PATHS: PhiloxPath[] = ['wasm-simd', 'wasm', 'js'];
after(() => usePhiloxPath(undefined));

/** A small deterministic generator (xorshift32) for the counters and keys between the edge values. */
function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0);
  };
}

const EDGES = [0, 1, 2, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

test('Node 20 runs the SIMD WebAssembly path by default', () => {
  usePhiloxPath(undefined);
  assert.equal(philoxPath(), 'wasm-simd');
});

test('philox4 matches the published Philox4x32-10 known-answer vectors', () => {
  // Random123's kat_vectors for philox4x32_10, counter (c0, 0, 0, 0) of the three that have c1..c3 = 0.
  const out = new Uint32Array(4);
  philox4(0, 0, 0, out);
  assert.deepEqual([...out], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
});

for (const path of PATHS) {
  test(`${path}: the words of every counter and key equal philox.ts's, edge values included`, () => {
    usePhiloxPath(path);
    const next = xorshift(0x5eed);
    const keys: Array<[number, number]> = [];
    for (const a of EDGES) for (const b of [0, 0xffffffff, 0x5eed]) keys.push([a, b]);
    for (let i = 0; i < 24; i++) keys.push([next(), next()]);
    const starts = [...EDGES, next(), next(), next()];
    const ref = new Uint32Array(4);
    let compared = 0;
    for (const [k0, k1] of keys) {
      for (const start of starts) {
        // Odd counts exercise the SIMD path's padding; counters past 2^32 wrap as the WGSL kernel's u32 does.
        const count = 7;
        const words = philoxWords(start, count, k0, k1);
        for (let j = 0; j < count; j++) {
          philox4((start + j) >>> 0, k0, k1, ref);
          for (let w = 0; w < 4; w++) {
            assert.equal(words[4 * j + w], ref[w], `${path}: counter ${start + j}, key (${k0}, ${k1}), word ${w}`);
            compared++;
          }
        }
      }
    }
    assert.ok(compared > 5000);
  });

  test(`${path}: a whole chunk of consecutive counters equals philox.ts's`, () => {
    usePhiloxPath(path);
    const [k0, k1] = seedKey(2 ** 40 + 12345);
    const words = philoxWords(1_000_000, CHUNK_COUNTERS, k0, k1).slice();
    const ref = new Uint32Array(4);
    for (let j = 0; j < CHUNK_COUNTERS; j += 97) {
      philox4(1_000_000 + j, k0, k1, ref);
      assert.deepEqual([...words.subarray(4 * j, 4 * j + 4)], [...ref], `counter ${1_000_000 + j}`);
    }
    philox4(1_000_000 + CHUNK_COUNTERS - 1, k0, k1, ref);
    assert.deepEqual([...words.subarray(4 * CHUNK_COUNTERS - 4)], [...ref], 'the last counter of the chunk');
  });

  test(`${path}: maskScaleInto keeps exactly the units keepUnit keeps, across chunk boundaries`, () => {
    usePhiloxPath(path);
    const seed = 987654321;
    const [key0, key1] = seedKey(seed);
    // Element counts that end mid-counter and mid-unit, and span more than one chunk of counters.
    for (const [n, unitSize, keepProb] of [
      [CHUNK_COUNTERS * 4 * 2 + 5, 1, 0.63],
      [CHUNK_COUNTERS * 4 + 3, 1, 0.5],
      [12 * 1000 + 7, 12, 0.7],
      [64 * 33, 64, 0.1],
    ]) {
      const x = Float32Array.from({ length: n }, (_, i) => 1 + (i % 13));
      const y = new Float32Array(n);
      const attrs: FusedAttrs = {
        unitSize,
        threshold: dropThreshold(keepProb),
        key0,
        key1,
        keptScale: 2,
        keptShift: 0.5,
        droppedValue: -7,
      };
      maskScaleInto(x, y, attrs);
      let kept = 0;
      for (let i = 0; i < n; i++) {
        const keep = keepUnit(Math.floor(i / unitSize), seed, keepProb);
        if (keep) kept++;
        assert.equal(y[i], keep ? x[i] * 2 + 0.5 : -7, `${path}: n=${n} unit ${unitSize}, element ${i}`);
      }
      assert.ok(kept > 0 && kept < n, 'both outcomes occur');
    }
  });
}

test('every path computes kept values in f32, as WGSL does: the same floats for the same seed', () => {
  const [key0, key1] = seedKey(31337);
  const scale = 1 / 0.9,
    shift = 0.3;
  const x = Float32Array.from({ length: 3 * CHUNK_COUNTERS + 5 }, (_, i) => Math.fround(Math.sin(i) * 3));
  const f32 = (v: number) => Math.fround(Math.fround(v * Math.fround(scale)) + Math.fround(shift));
  const outputs = new Map<string, Float32Array>();
  for (const path of PATHS) {
    usePhiloxPath(path);
    for (const unitSize of [1, 3]) {
      const y = new Float32Array(x.length);
      maskScaleInto(x, y, {
        unitSize,
        threshold: dropThreshold(0.8),
        key0,
        key1,
        keptScale: scale,
        keptShift: shift,
        droppedValue: 0,
      });
      for (let i = 0; i < x.length; i++)
        if (y[i] !== 0) assert.equal(y[i], f32(x[i]), `${path}, unit ${unitSize}: element ${i}`);
      outputs.set(`${path}/${unitSize}`, y);
    }
  }
  for (const unitSize of [1, 3]) {
    for (const path of PATHS)
      assert.deepEqual(
        outputs.get(`${path}/${unitSize}`),
        outputs.get(`js/${unitSize}`),
        `${path} equals js, unit ${unitSize}`,
      );
  }
});
