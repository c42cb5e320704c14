/**
 * The fused kernel for the cpu and wasm backends: the same Philox draws per unit as the WGSL kernel (one Philox
 * call per four units), one pass over x. On wasm it reads and writes the wasm heap directly; there `applyTrain`
 * (ops.ts) sends it element units only, and broadcasts coarse units' factors with tfjs's own multiply.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { FUSED_KERNEL, type FusedAttrs } from './ops';
import { CHUNK_COUNTERS, maskScaleUnits, philoxWords } from './philox-wasm';
import { tf } from './tf';
import { scaleUnitsInto, unitFactors } from './units';

/**
 * y[i] = kept(unit(i)) ? x[i]·scale + shift : dropped. One unit per element runs wholly in WebAssembly SIMD
 * (maskScaleUnits), or without SIMD on the Philox words of philox-wasm.ts a chunk at a time. Coarser units (channel,
 * sample, batch) draw one word each, then stream x once with each unit's factors (units.ts): a per-element loop
 * that compared a word and rounded twice for every element cost 2.2 ms for a drop path at [8,256,768].
 */
export function maskScaleInto(x: Float32Array, y: Float32Array, a: FusedAttrs): void {
  const n = x.length;
  const { unitSize, threshold, key0, key1, keptScale, keptShift, droppedValue } = a;
  if (unitSize > 1) {
    scaleUnitsInto(x, y, unitSize, unitFactors(a, Math.ceil(n / unitSize)));
    return;
  }
  if (maskScaleUnits(x, y, threshold, key0, key1, keptScale, keptShift, droppedValue)) return;
  // f32 arithmetic, as in WebAssembly SIMD and WGSL: every path gives the same floats for the same seed.
  const scale = Math.fround(keptScale),
    shift = Math.fround(keptShift);
  const counters = Math.ceil(n / 4);
  for (let c0 = 0; c0 < counters; c0 += CHUNK_COUNTERS) {
    const words = philoxWords(c0, Math.min(CHUNK_COUNTERS, counters - c0), key0, key1);
    const u0 = c0 * 4;
    const uEnd = Math.min(n, u0 + CHUNK_COUNTERS * 4);
    for (let u = u0; u < uEnd; u++)
      y[u] = words[u - u0] >= threshold ? Math.fround(x[u] * scale) + shift : droppedValue;
  }
}

interface CpuBackendLike {
  readSync(dataId: object): unknown;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

export function registerFusedJs(): void {
  const t = tf();
  const configs: KernelConfig[] = [
    {
      kernelName: FUSED_KERNEL,
      backendName: 'cpu',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const x = inputs.x as TensorInfo;
        const b = backend as unknown as CpuBackendLike;
        const values = b.readSync(x.dataId) as Float32Array;
        const out = new Float32Array(values.length);
        maskScaleInto(values, out, attrs as unknown as FusedAttrs);
        return b.makeTensorInfo([...x.shape], 'float32', out);
      },
    },
    {
      kernelName: FUSED_KERNEL,
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const x = inputs.x as TensorInfo;
        const b = backend as unknown as WasmBackendLike;
        const out = b.makeOutput([...x.shape], 'float32');
        maskScaleInto(b.typedArrayFromHeap(x), b.typedArrayFromHeap(out), attrs as unknown as FusedAttrs);
        return out;
      },
    },
  ];
  for (const config of configs) if (!t.getKernel(FUSED_KERNEL, config.backendName)) t.registerKernel(config);
}
