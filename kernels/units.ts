/**
 * Coarse mask units (channels, samples, the whole batch): one Philox draw per unit, turned into the unit's factors
 * (y = x·scale + shift over the unit), then one streaming pass over x. A drop path at [8,256,768] has 8 units for
 * 1.5M elements: the draws cost nothing, the pass is all there is, so it must run at memory speed (issue 21).
 */
import { CHUNK_COUNTERS, philoxWords } from './philox-wasm';

/** What a unit's draw needs: the part of the fused kernel's attributes (`FusedAttrs` in ops.ts extends it). */
export interface UnitDraw {
  threshold: number;
  key0: number;
  key1: number;
  keptScale: number;
  keptShift: number;
  droppedValue: number;
}

/** What each unit does to its elements; `shift` is absent when every unit's shift is 0 (inverted dropout). */
export interface UnitFactors {
  scale: Float32Array;
  shift?: Float32Array;
}

/**
 * The factors of `units` units: kept units x·keptScale + keptShift, dropped ones x·0 + droppedValue. Unit u draws
 * word u % 4 of Philox counter u / 4, as the element kernels (SIMD, WGSL) do, so a seed keeps the same units on
 * every backend and every path.
 */
export function unitFactors(a: UnitDraw, units: number): UnitFactors {
  const scale = new Float32Array(units);
  const shift = a.keptShift !== 0 || a.droppedValue !== 0 ? new Float32Array(units) : undefined;
  const counters = Math.ceil(units / 4);
  for (let c0 = 0; c0 < counters; c0 += CHUNK_COUNTERS) {
    const words = philoxWords(c0, Math.min(CHUNK_COUNTERS, counters - c0), a.key0, a.key1);
    const u0 = c0 * 4;
    const uEnd = Math.min(units, u0 + CHUNK_COUNTERS * 4);
    for (let u = u0; u < uEnd; u++) {
      const kept = words[u - u0] >= a.threshold;
      scale[u] = kept ? a.keptScale : 0;
      if (shift) shift[u] = kept ? a.keptShift : a.droppedValue;
    }
  }
  return { scale, shift };
}

/**
 * y = x·scale[u] + shift[u] over each unit of `unitSize` elements, in f32 as the WGSL kernel and tfjs's broadcast
 * ops compute it. A product of two f32 values is exact in a double, so storing it rounds once, to the f32 product:
 * no Math.fround in the plain loop. A zero scale without shift writes +0 where x·0 would give −0 for negative x;
 * both read as 0 (dropped) everywhere.
 */
export function scaleUnitsInto(x: Float32Array, y: Float32Array, unitSize: number, f: UnitFactors): void {
  const n = x.length;
  const { scale, shift } = f;
  for (let u = 0, start = 0; start < n; u++, start += unitSize) {
    const end = Math.min(n, start + unitSize);
    const s = scale[u];
    const b = shift ? shift[u] : 0;
    if (s === 0) y.fill(b, start, end);
    else if (s === 1 && b === 0) y.set(x.subarray(start, end), start);
    else if (b === 0) for (let i = start; i < end; i++) y[i] = x[i] * s;
    else for (let i = start; i < end; i++) y[i] = Math.fround(x[i] * s) + b;
  }
}
