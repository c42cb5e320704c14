/**
 * The fused kernel for the cpu and wasm backends, in JavaScript: the same Philox draws per unit as the WGSL kernel
 * (one Philox call per four units), one pass over x. On wasm it reads and writes the wasm heap directly.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { FUSED_KERNEL, type FusedAttrs } from './ops';
import { tf } from './tf';

/**
 * y[i] = kept(unit(i)) ? x[i]·scale + shift : dropped. Philox4x32-10 is inlined (the same rounds as philox.ts,
 * which the tests check it against): this loop is the cpu and wasm backends' whole cost.
 */
export function maskScaleInto(x: Float32Array, y: Float32Array, a: FusedAttrs): void {
  const n = x.length;
  const { unitSize, threshold, key0, key1, keptScale, keptShift, droppedValue } = a;
  const units = Math.ceil(n / unitSize);
  const M0 = 0xd2511f53, M1 = 0xcd9e8d57;
  const M0hi = M0 >>> 16, M0lo = M0 & 0xffff, M1hi = M1 >>> 16, M1lo = M1 & 0xffff;
  const words = [0, 0, 0, 0];
  for (let u0 = 0; u0 < units; u0 += 4) {
    let x0 = (u0 / 4) >>> 0, x1 = 0, x2 = 0, x3 = 0;
    let k0 = key0, k1 = key1;
    for (let round = 0; round < 10; round++) {
      // hi(M·v) from 16-bit halves of the constant: both partial products stay below 2^53.
      const hi0 = Math.floor((x0 * M0hi + Math.floor((x0 * M0lo) / 65536)) / 65536) >>> 0;
      const lo0 = Math.imul(M0, x0) >>> 0;
      const hi1 = Math.floor((x2 * M1hi + Math.floor((x2 * M1lo) / 65536)) / 65536) >>> 0;
      const lo1 = Math.imul(M1, x2) >>> 0;
      x0 = (hi1 ^ x1 ^ k0) >>> 0;
      x1 = lo1;
      x2 = (hi0 ^ x3 ^ k1) >>> 0;
      x3 = lo0;
      k0 = (k0 + 0x9e3779b9) >>> 0;
      k1 = (k1 + 0xbb67ae85) >>> 0;
    }
    words[0] = x0;
    words[1] = x1;
    words[2] = x2;
    words[3] = x3;
    const uEnd = Math.min(units, u0 + 4);
    if (unitSize === 1) {
      for (let u = u0; u < uEnd; u++) y[u] = words[u - u0] >= threshold ? x[u] * keptScale + keptShift : droppedValue;
      continue;
    }
    for (let u = u0; u < uEnd; u++) {
      const start = u * unitSize;
      const end = Math.min(n, start + unitSize);
      if (words[u - u0] >= threshold) for (let i = start; i < end; i++) y[i] = x[i] * keptScale + keptShift;
      else y.fill(droppedValue, start, end);
    }
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
