/**
 * Philox4x32-10 as a tiny WebAssembly module, assembled here byte by byte (no toolchain, no file to ship, nothing
 * downloaded): the cpu and wasm backends' fused kernel spends nearly all its time in Philox, and JavaScript has no
 * 32×32→64 multiply, so each `mulhi` there costs four partial products. WebAssembly has one: `i64.mul` in the
 * scalar module, and with SIMD `i64x2.extmul_{low,high}_i32x4_u`, which run four Philox counters side by side.
 *
 * `philoxWords` fills a buffer with the four words of consecutive counters, bit for bit the words of philox.ts and
 * of the WGSL kernel (test/kernels/philox.test.ts checks all three paths against philox.ts); `maskScaleUnits` runs
 * the whole one-unit-per-element kernel in SIMD. `npm run bench -- profiler` prints the paths side by side.
 */
const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** Counters per call into the module: its first 64 KiB page holds their 4 words each. */
export const CHUNK_COUNTERS = 4096;

// ---- a minimal assembler: just the encodings this module uses --------------------------------------------------

const I32 = 0x7f;
const I64 = 0x7e;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a value in int64 range given as a BigInt (i32.const takes the signed 32-bit view). */
function sleb(value: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = Number(value & 0x7fn);
    value >>= 7n;
    const done = (value === 0n && (byte & 0x40) === 0) || (value === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

const op = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (v: number) => [0x41, ...sleb(BigInt(v | 0))],
  i64: (v: number) => [0x42, ...sleb(BigInt(v))],
  i32Add: [0x6a],
  i32Xor: [0x73],
  i32GeU: [0x4f],
  i64Mul: [0x7e],
  i64ShrU: [0x88],
  i64ExtendI32U: [0xad],
  i32WrapI64: [0xa7],
  /** i32.store with 4-byte alignment and a constant offset. */
  i32Store: (offset: number) => [0x36, 0x02, ...uleb(offset)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  simd: (code: number, ...immediates: number[]) => [0xfd, ...uleb(code), ...immediates],
};

const simd = {
  loadAt: (offset: number) => op.simd(0x00, 0x04, ...uleb(offset)), // v128.load align=16
  storeAt: (offset: number) => op.simd(0x0b, 0x04, ...uleb(offset)), // v128.store align=16
  f32Splat: op.simd(0x13),
  geU: op.simd(0x40), // i32x4.ge_u
  bitselect: op.simd(0x52),
  f32Add: op.simd(0xe4),
  f32Mul: op.simd(0xe6),
  shuffle: (lanes: number[]) => op.simd(0x0d, ...lanes),
  splat: op.simd(0x11), // i32x4.splat
  xor: op.simd(0x51),
  add: op.simd(0xae), // i32x4.add
  mul: op.simd(0xb5), // i32x4.mul
  extmulLowU: op.simd(0xde), // i64x2.extmul_low_i32x4_u
  extmulHighU: op.simd(0xdf), // i64x2.extmul_high_i32x4_u
};

/** Where maskScale's floats live: after the 64 KiB of fill's words, CHUNK_COUNTERS · 4 of them. */
const DATA_OFFSET = 65536;
const F32 = 0x7d;

/**
 * The module: memory (exported) and `fill(counter, count, key0, key1)`, which writes the Philox words of counters
 * counter … counter + count − 1 at byte 0 onwards, 16 bytes per counter; with SIMD also `maskScale` (simdBody).
 */
function assemble(useSimd: boolean): Uint8Array {
  const fillType = [0x60, ...vec([[I32], [I32], [I32], [I32]]), ...vec([])];
  const maskType = [0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [F32], [F32], [F32]]), ...vec([])];
  const bodies = useSimd ? [simdBody('fill'), simdBody('maskScale')] : [scalarBody()];
  const codes = bodies.map((body) => {
    const code = [...body.locals, ...body.code, ...op.end];
    return [...uleb(code.length), ...code];
  });
  const exports = [
    [...name('memory'), 0x02, 0x00],
    [...name('fill'), 0x00, 0x00],
  ];
  if (useSimd) exports.push([...name('maskScale'), 0x00, 0x01]);
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(useSimd ? [fillType, maskType] : [fillType])),
    ...section(3, vec(useSimd ? [[0], [1]] : [[0]])),
    ...section(5, vec([[0x00, useSimd ? 0x02 : 0x01]])),
    ...section(7, vec(exports)),
    ...section(10, vec(codes)),
  ];
  return Uint8Array.from(bytes);
}

/**
 * Scalar: params 0 counter, 1 count, 2 key0, 3 key1; locals 4 x0, 5 x1, 6 x2, 7 x3, 8 k0, 9 k1, 10 ptr, 11 end,
 * 12 p0, 13 p1 (i64). Ten rounds unrolled.
 */
function scalarBody(): { locals: number[]; code: number[] } {
  const [counter, count, key0, key1, x0, x1, x2, x3, k0, k1, ptr, end, p0, p1] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
  ];
  const locals = vec([
    [...uleb(8), I32],
    [...uleb(2), I64],
  ]);
  const code: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const p of parts) code.push(...p);
  };
  // end = count * 16 (bytes); ptr = 0
  emit(op.get(count), op.i32(4), [0x74] /* i32.shl */, op.set(end), op.i32(0), op.set(ptr));
  emit(op.block, op.loop);
  emit(op.get(ptr), op.get(end), op.i32GeU, op.brIf(1));
  emit(op.get(counter), op.set(x0), op.i32(0), op.set(x1), op.i32(0), op.set(x2), op.i32(0), op.set(x3));
  emit(op.get(key0), op.set(k0), op.get(key1), op.set(k1));
  for (let round = 0; round < 10; round++) {
    emit(op.get(x0), op.i64ExtendI32U, op.i64(M0), op.i64Mul, op.set(p0));
    emit(op.get(x2), op.i64ExtendI32U, op.i64(M1), op.i64Mul, op.set(p1));
    // x0 = hi(p1) ^ x1 ^ k0; x1 = lo(p1); x2 = hi(p0) ^ x3 ^ k1; x3 = lo(p0)
    emit(op.get(p1), op.i64(32), op.i64ShrU, op.i32WrapI64, op.get(x1), op.i32Xor, op.get(k0), op.i32Xor, op.set(x0));
    emit(op.get(p1), op.i32WrapI64, op.set(x1));
    emit(op.get(p0), op.i64(32), op.i64ShrU, op.i32WrapI64, op.get(x3), op.i32Xor, op.get(k1), op.i32Xor, op.set(x2));
    emit(op.get(p0), op.i32WrapI64, op.set(x3));
    if (round < 9) emit(op.get(k0), op.i32(W0), op.i32Add, op.set(k0), op.get(k1), op.i32(W1), op.i32Add, op.set(k1));
  }
  for (const [i, x] of [x0, x1, x2, x3].entries()) emit(op.get(ptr), op.get(x), op.i32Store(4 * i));
  emit(op.get(ptr), op.i32(16), op.i32Add, op.set(ptr));
  emit(op.get(counter), op.i32(1), op.i32Add, op.set(counter));
  emit(op.br(0), op.end, op.end);
  return { locals, code };
}

/**
 * SIMD: four counters per iteration, one per lane. `fill` has the scalar function's params; `maskScale` takes
 * (counter, count, key0, key1, threshold: i32; scale, shift, dropped: f32) and rewrites the floats at DATA_OFFSET
 * in place, one unit per float: y = word ≥ threshold ? x·scale + shift : dropped, in f32 as the WGSL kernel
 * computes it. `count` (counters) must be a multiple of 4.
 *
 * hi(a·M) per lane: the two extmuls give the 64-bit products of lanes 0–1 and 2–3, one shuffle gathers their high
 * words. A 4×4 transpose then gives each counter's four words in one vector: the words of four consecutive units.
 */
function simdBody(kind: 'fill' | 'maskScale'): { locals: number[]; code: number[] } {
  const [counter, count, key0, key1] = [0, 1, 2, 3];
  const [threshold, scale, shift, dropped] = [4, 5, 6, 7];
  const first = kind === 'fill' ? 4 : 8;
  const [x0, x1, x2, x3, k0, k1, m0, m1, counters, t, a, b, c, d, thresholdV, scaleV, shiftV, droppedV] = Array.from(
    { length: 18 },
    (_, i) => first + i,
  );
  const [ptr, end] = [first + 18, first + 19];
  const locals = vec([
    [...uleb(18), V128],
    [...uleb(2), I32],
  ]);
  const code: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const p of parts) code.push(...p);
  };
  const highWords = [4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31];
  const v128const = (words: number[]) =>
    op.simd(0x0c, ...words.flatMap((w) => [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24]));
  const splatConst = (w: number) => v128const([w, w, w, w]);
  /** hi(a · m) of each lane, left on the stack. */
  const mulhi = (v: number, m: number) => [
    ...op.get(v),
    ...op.get(m),
    ...simd.extmulLowU,
    ...op.get(v),
    ...op.get(m),
    ...simd.extmulHighU,
    ...simd.shuffle(highWords),
  ];
  // ptr walks the output: 16 bytes per counter, from 0 (fill's words) or DATA_OFFSET (maskScale's floats).
  const base = kind === 'fill' ? 0 : DATA_OFFSET;
  emit(op.get(count), op.i32(4), [0x74] /* i32.shl */, op.i32(base), op.i32Add, op.set(end), op.i32(base), op.set(ptr));
  emit(splatConst(M0), op.set(m0), splatConst(M1), op.set(m1));
  if (kind === 'maskScale') {
    emit(op.get(threshold), simd.splat, op.set(thresholdV));
    emit(
      op.get(scale),
      simd.f32Splat,
      op.set(scaleV),
      op.get(shift),
      simd.f32Splat,
      op.set(shiftV),
      op.get(dropped),
      simd.f32Splat,
      op.set(droppedV),
    );
  }
  // counters = (counter, counter + 1, counter + 2, counter + 3)
  emit(op.get(counter), simd.splat, v128const([0, 1, 2, 3]), simd.add, op.set(counters));
  emit(op.block, op.loop);
  emit(op.get(ptr), op.get(end), op.i32GeU, op.brIf(1));
  emit(op.get(counters), op.set(x0), splatConst(0), op.tee(x1), op.tee(x2), op.set(x3));
  emit(op.get(key0), simd.splat, op.set(k0), op.get(key1), simd.splat, op.set(k1));
  for (let round = 0; round < 10; round++) {
    // t = hi(M0·x0) ^ x3 ^ k1 (the new x2); x3 = lo(M0·x0); then x0 from x2 before x2 is overwritten.
    emit(mulhi(x0, m0), op.get(x3), simd.xor, op.get(k1), simd.xor, op.set(t));
    emit(op.get(x0), op.get(m0), simd.mul, op.set(x3));
    emit(mulhi(x2, m1), op.get(x1), simd.xor, op.get(k0), simd.xor, op.set(x0));
    emit(op.get(x2), op.get(m1), simd.mul, op.set(x1));
    emit(op.get(t), op.set(x2));
    if (round < 9)
      emit(op.get(k0), splatConst(W0), simd.add, op.set(k0), op.get(k1), splatConst(W1), simd.add, op.set(k1));
  }
  // Transpose [x0 x1 x2 x3] (rows = word, columns = lane/counter) into rows = counter.
  // a = (x0_0, x1_0, x0_1, x1_1), b = (x2_0, x3_0, x2_1, x3_1), c = (x0_2, x1_2, x0_3, x1_3), d = (x2_2, x3_2, x2_3,
  // x3_3)
  const lanes = (ws: number[]) => ws.flatMap((w) => [4 * w, 4 * w + 1, 4 * w + 2, 4 * w + 3]);
  emit(op.get(x0), op.get(x1), simd.shuffle(lanes([0, 4, 1, 5])), op.set(a));
  emit(op.get(x2), op.get(x3), simd.shuffle(lanes([0, 4, 1, 5])), op.set(b));
  emit(op.get(x0), op.get(x1), simd.shuffle(lanes([2, 6, 3, 7])), op.set(c));
  emit(op.get(x2), op.get(x3), simd.shuffle(lanes([2, 6, 3, 7])), op.set(d));
  const rows: Array<[number, number, number[]]> = [
    [a, b, [0, 1, 4, 5]],
    [a, b, [2, 3, 6, 7]],
    [c, d, [0, 1, 4, 5]],
    [c, d, [2, 3, 6, 7]],
  ];
  for (const [j, [p, q, ws]] of rows.entries()) {
    const words = [...op.get(p), ...op.get(q), ...simd.shuffle(lanes(ws))];
    if (kind === 'fill') {
      emit(op.get(ptr), words, simd.storeAt(16 * j));
    } else {
      // y = bitselect(x·scale + shift, dropped, word ≥ threshold)
      emit(op.get(ptr));
      emit(
        op.get(ptr),
        simd.loadAt(16 * j),
        op.get(scaleV),
        simd.f32Mul,
        op.get(shiftV),
        simd.f32Add,
        op.get(droppedV),
      );
      emit(words, op.get(thresholdV), simd.geU, simd.bitselect, simd.storeAt(16 * j));
    }
  }
  emit(op.get(ptr), op.i32(64), op.i32Add, op.set(ptr));
  emit(op.get(counters), splatConst(4), simd.add, op.set(counters));
  emit(op.br(0), op.end, op.end);
  return { locals, code };
}

export type PhiloxPath = 'wasm-simd' | 'wasm' | 'js';

interface Instance {
  fill: (counter: number, count: number, key0: number, key1: number) => void;
  words: Uint32Array;
  /** SIMD only: see simdBody. */
  maskScale?: (
    counter: number,
    count: number,
    key0: number,
    key1: number,
    threshold: number,
    scale: number,
    shift: number,
    dropped: number,
  ) => void;
  data?: Float32Array;
}

/** The WebAssembly API, typed here: the project's lib (ES2022, no DOM) does not declare it. */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}

function instantiate(useSimd: boolean): Instance | undefined {
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  try {
    const bytes = assemble(useSimd);
    if (!api?.validate(bytes)) return undefined;
    const exports = new api.Instance(new api.Module(bytes)).exports as Pick<Instance, 'fill' | 'maskScale'> & {
      memory: { buffer: ArrayBuffer };
    };
    const buffer = exports.memory.buffer;
    return {
      fill: exports.fill,
      words: new Uint32Array(buffer, 0, CHUNK_COUNTERS * 4),
      maskScale: exports.maskScale,
      data: exports.maskScale ? new Float32Array(buffer, DATA_OFFSET, CHUNK_COUNTERS * 4) : undefined,
    };
  } catch {
    return undefined;
  }
}

let chosen: { path: PhiloxPath; instance?: Instance } | undefined;

/**
 * JavaScript words, for a runtime without WebAssembly: Philox with an integer-only mulhi over 16-bit halves (every
 * partial product below 2^32, no Math.floor or division), inlined. Measured about 20 % faster than the
 * double-based mulhi (philox.ts, and this kernel before), yet about 5× slower than scalar WebAssembly and 11× slower
 * than SIMD on a 2-core EPYC.
 */
const jsWords = new Uint32Array(CHUNK_COUNTERS * 4);
function jsFill(counter: number, count: number, key0: number, key1: number): void {
  const A0l = M0 & 0xffff,
    A0h = M0 >>> 16,
    A1l = M1 & 0xffff,
    A1h = M1 >>> 16;
  for (let j = 0; j < count; j++) {
    let x0 = (counter + j) >>> 0,
      x1 = 0,
      x2 = 0,
      x3 = 0,
      k0 = key0,
      k1 = key1;
    for (let round = 0; round < 10; round++) {
      let bl = x0 & 0xffff,
        bh = x0 >>> 16;
      let lh = A0l * bh,
        hl = A0h * bl;
      let mid = ((A0l * bl) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
      const hi0 = A0h * bh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16);
      bl = x2 & 0xffff;
      bh = x2 >>> 16;
      lh = A1l * bh;
      hl = A1h * bl;
      mid = ((A1l * bl) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
      const hi1 = A1h * bh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16);
      const lo0 = Math.imul(M0, x0),
        lo1 = Math.imul(M1, x2);
      x0 = hi1 ^ x1 ^ k0;
      x1 = lo1;
      x2 = hi0 ^ x3 ^ k1;
      x3 = lo0;
      k0 = (k0 + W0) | 0;
      k1 = (k1 + W1) | 0;
    }
    jsWords[4 * j] = x0;
    jsWords[4 * j + 1] = x1;
    jsWords[4 * j + 2] = x2;
    jsWords[4 * j + 3] = x3;
  }
}

/** Forces a path (tests compare every path with philox.ts); `undefined` goes back to the fastest one present. */
export function usePhiloxPath(path: PhiloxPath | undefined): PhiloxPath {
  chosen = undefined;
  if (path === 'js') chosen = { path: 'js' };
  else if (path) {
    const instance = instantiate(path === 'wasm-simd');
    if (!instance) throw new Error(`${path} is not available in this runtime`);
    chosen = { path, instance };
  }
  return philoxPath();
}

/** The path in use: SIMD WebAssembly where the runtime has it, else scalar WebAssembly, else JavaScript. */
export function philoxPath(): PhiloxPath {
  if (!chosen) {
    const simdInstance = instantiate(true);
    const scalar = simdInstance ? undefined : instantiate(false);
    chosen = simdInstance
      ? { path: 'wasm-simd', instance: simdInstance }
      : scalar
        ? { path: 'wasm', instance: scalar }
        : { path: 'js' };
  }
  return chosen.path;
}

/**
 * The words of counters counter … counter + count − 1 (count ≤ CHUNK_COUNTERS), 4 per counter, in a buffer that
 * the next call overwrites. Counters wrap at 2^32 as the u32 counter of the WGSL kernel does.
 */
export function philoxWords(counter: number, count: number, key0: number, key1: number): Uint32Array {
  philoxPath();
  const instance = chosen!.instance;
  if (!instance) {
    jsFill(counter >>> 0, count, key0 >>> 0, key1 >>> 0);
    return jsWords;
  }
  // The SIMD loop runs four counters at a time; the extra words past `count` are never read.
  const padded = chosen!.path === 'wasm-simd' ? (count + 3) & ~3 : count;
  instance.fill(counter | 0, padded, key0 | 0, key1 | 0);
  return instance.words;
}

/**
 * One unit per element (dropout, attention dropout): y[i] = word(i) ≥ threshold ? x[i]·scale + shift : dropped,
 * all in WebAssembly SIMD, CHUNK_COUNTERS · 4 elements at a time through the module's memory (the copies stay in
 * cache; the JavaScript compare-and-scale loop they replace cost more than Philox itself). Returns false where the
 * SIMD path is not in use; the caller then runs its own loop over philoxWords.
 */
export function maskScaleUnits(
  x: Float32Array,
  y: Float32Array,
  threshold: number,
  key0: number,
  key1: number,
  scale: number,
  shift: number,
  dropped: number,
): boolean {
  philoxPath();
  const instance = chosen!.instance;
  if (!instance?.maskScale || !instance.data) return false;
  const { maskScale, data } = instance;
  const n = x.length;
  const chunk = CHUNK_COUNTERS * 4;
  for (let u0 = 0; u0 < n; u0 += chunk) {
    const len = Math.min(chunk, n - u0);
    data.set(x.subarray(u0, u0 + len));
    // Whole blocks of 16 units: the floats past `len` are leftovers, computed and never copied out.
    maskScale(u0 / 4, Math.ceil(len / 16) * 4, key0 | 0, key1 | 0, threshold | 0, scale, shift, dropped);
    y.set(len === chunk ? data : data.subarray(0, len), u0);
  }
  return true;
}
