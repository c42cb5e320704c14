// The WebGPU backend: on a machine without a GPU, Mesa's software renderer (llvmpipe) through Dawn's OpenGL ES
// backend (.ci/run installs it). The fused WGSL kernel is tested against the tfjs composite and the JavaScript
// Philox reference in the shared suite. Skipped, with the reason, where no adapter exists.
import { kernelSuite } from './suite';

kernelSuite('webgpu');
