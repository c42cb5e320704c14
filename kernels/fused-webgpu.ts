/**
 * The fused dropout kernel for the WebGPU backend: one WGSL pass reads x once, draws the unit's Philox number from
 * (seed, unit index), and writes y once. Registered as the tfjs kernel `ReglensMaskScale`, so `applyTrain` in ops.ts
 * uses it on webgpu for element units; coarse units (channel, drop path) broadcast one factor per unit instead, as
 * every thread here would run a Philox call for its element's unit. The composite stays the reference.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { FUSED_KERNEL, type FusedAttrs } from './ops';
import { PHILOX_WGSL } from './philox';
import { tf } from './tf';

interface WebGPUBackendLike {
  runWebGPUProgram(
    program: object,
    inputs: TensorInfo[],
    dtype: 'float32',
    uniforms: Array<{ type: string; data: number[] }>,
  ): TensorInfo;
}

class MaskScaleProgram {
  variableNames = ['A'];
  outputShape: number[];
  shaderKey = 'reglens_mask_scale';
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [256, 1, 1];
  uniforms =
    'unitSize : i32, threshold : u32, key0 : u32, key1 : u32, keptScale : f32, keptShift : f32, droppedValue : f32,';
  size = true;

  constructor(
    shape: number[],
    util: {
      flatDispatchLayout(s: number[]): { x: number[] };
      computeDispatch(l: { x: number[] }, s: number[], w: [number, number, number]): [number, number, number];
    },
  ) {
    this.outputShape = shape;
    this.dispatchLayout = util.flatDispatchLayout(shape);
    this.dispatch = util.computeDispatch(this.dispatchLayout, shape, this.workgroupSize);
  }

  getUserCode(): string {
    return `
${PHILOX_WGSL}
fn main(index : i32) {
  if (index < uniforms.size) {
    let unit = u32(index / uniforms.unitSize);
    let x = A[index];
    if (reglensUnitDraw(unit, uniforms.key0, uniforms.key1) >= uniforms.threshold) {
      setOutputAtIndex(index, x * uniforms.keptScale + uniforms.keptShift);
    } else {
      setOutputAtIndex(index, uniforms.droppedValue);
    }
  }
}
`;
  }
}

/**
 * Registers the fused kernel for the webgpu backend (idempotent). `webgpuUtil` is the backend package's `webgpu_util`.
 */
export function registerFusedWebGPU(webgpuUtil: ConstructorParameters<typeof MaskScaleProgram>[1]): void {
  const t = tf();
  if (t.getKernel(FUSED_KERNEL, 'webgpu')) return;
  const config: KernelConfig = {
    kernelName: FUSED_KERNEL,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const x = inputs.x as TensorInfo;
      const a = attrs as unknown as FusedAttrs;
      const program = new MaskScaleProgram([...x.shape], webgpuUtil);
      return (backend as unknown as WebGPUBackendLike).runWebGPUProgram(program, [x], 'float32', [
        { type: 'int32', data: [a.unitSize] },
        { type: 'uint32', data: [a.threshold] },
        { type: 'uint32', data: [a.key0] },
        { type: 'uint32', data: [a.key1] },
        { type: 'float32', data: [a.keptScale] },
        { type: 'float32', data: [a.keptShift] },
        { type: 'float32', data: [a.droppedValue] },
      ]);
    },
  };
  t.registerKernel(config);
}
