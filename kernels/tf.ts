/**
 * The TensorFlow.js namespace the kernels use. Normally the bundled `@tensorflow/tfjs-core`; when the CUDA
 * backend loads, `@tensorflow/tfjs-node-gpu` brings its own copy of tfjs-core (its backend registers there), so
 * the worker switches every kernel to that namespace with `useTf`.
 */
import * as core from '@tensorflow/tfjs-core';

export type TF = typeof core;

let current: TF = core;

export function tf(): TF {
  return current;
}

export function useTf(namespace: TF): void {
  current = namespace;
}
