/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a counter-based RNG, so
 * every mask unit draws its own number from (seed, unit index) with no state shared between GPU threads. The same
 * function exists here in JavaScript (the reference the WGSL kernel is tested against, bit for bit) and in WGSL.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of a 32×32 product: both partial products stay below 2^53, so doubles hold them exactly. */
function mulhi(a: number, b: number): number {
  const t = a * (b >>> 16) + Math.floor((a * (b & 0xffff)) / 65536);
  return Math.floor(t / 65536) >>> 0;
}

/** Philox4x32-10 of counter (c0, 0, 0, 0) and key (k0, k1), its four words written to `out`. */
export function philox4(c0: number, k0: number, k1: number, out: Uint32Array): void {
  let x0 = c0 >>> 0,
    x1 = 0,
    x2 = 0,
    x3 = 0;
  let key0 = k0 >>> 0,
    key1 = k1 >>> 0;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulhi(M0, x0),
      lo0 = Math.imul(M0, x0) >>> 0;
    const hi1 = mulhi(M1, x2),
      lo1 = Math.imul(M1, x2) >>> 0;
    x0 = (hi1 ^ x1 ^ key0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ key1) >>> 0;
    x3 = lo0;
    key0 = (key0 + W0) >>> 0;
    key1 = (key1 + W1) >>> 0;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
}

const scratch = new Uint32Array(4);

/** The draw of mask unit `unit`: word `unit % 4` of counter `unit / 4`, so one Philox call serves four units. */
export function unitDraw(unit: number, k0: number, k1: number): number {
  philox4(Math.floor(unit / 4), k0, k1, scratch);
  return scratch[unit & 3];
}

/** The 32-bit threshold below which a draw is dropped: P(drop) = threshold / 2^32. */
export function dropThreshold(keepProb: number): number {
  const p = 1 - keepProb;
  if (p <= 0) return 0;
  if (p >= 1) return 0xffffffff;
  return Math.min(0xffffffff, Math.round(p * 2 ** 32));
}

/** The seed's two key words. */
export function seedKey(seed: number): [number, number] {
  return [seed >>> 0, ((Math.floor(seed / 2 ** 32) >>> 0) ^ 0x5eed) >>> 0];
}

/** Whether unit `unit` is kept, exactly as the WGSL kernel decides. */
export function keepUnit(unit: number, seed: number, keepProb: number): boolean {
  const [k0, k1] = seedKey(seed);
  if (keepProb >= 1) return true;
  return unitDraw(unit, k0, k1) >= dropThreshold(keepProb);
}

export const PHILOX_WGSL = `
fn reglensMulhi(a : u32, b : u32) -> u32 {
  let aLo = a & 0xffffu; let aHi = a >> 16u; let bLo = b & 0xffffu; let bHi = b >> 16u;
  let ll = aLo * bLo; let lh = aLo * bHi; let hl = aHi * bLo; let hh = aHi * bHi;
  let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return hh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}
fn reglensPhilox(c0 : u32, k0 : u32, k1 : u32) -> vec4<u32> {
  var x0 = c0; var x1 = 0u; var x2 = 0u; var x3 = 0u;
  var key0 = k0; var key1 = k1;
  for (var round = 0; round < 10; round++) {
    let hi0 = reglensMulhi(0xd2511f53u, x0); let lo0 = 0xd2511f53u * x0;
    let hi1 = reglensMulhi(0xcd9e8d57u, x2); let lo1 = 0xcd9e8d57u * x2;
    x0 = hi1 ^ x1 ^ key0; x1 = lo1; x2 = hi0 ^ x3 ^ key1; x3 = lo0;
    key0 = key0 + 0x9e3779b9u; key1 = key1 + 0xbb67ae85u;
  }
  return vec4<u32>(x0, x1, x2, x3);
}
fn reglensUnitDraw(unit : u32, k0 : u32, k1 : u32) -> u32 {
  return reglensPhilox(unit >> 2u, k0, k1)[unit & 3u];
}
`;
