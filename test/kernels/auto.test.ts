// Which backend `auto` picks when the only WebGPU adapter is a software renderer (Mesa's llvmpipe in CI): wasm,
// which runs the kernels faster on the same CPU (bench/profiler.ts), with the reason in the webgpu status; asking
// for webgpu by name still gets it. Real workers (dist/worker.js, built by scripts/test.mjs), as the server runs them.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { isSoftwareAdapter } from '../../kernels/backends';
import { ProfilerHost, type ProfilerOptions } from '../../kernels/host';
import type { ProfileRequest } from '../../kernels/plan';

const workerPath = path.resolve(__dirname, '../../dist/worker.js');
const options = (backend: ProfilerOptions['backend']): ProfilerOptions => ({
  backend,
  timeoutMs: 120_000,
  memoryBudgetBytes: 256 * 1024 ** 2,
  workerPath,
});

test('software renderers are told from hardware adapters by name', () => {
  for (const software of [
    'llvmpipe-llvm-15-0-6-256-bits, OpenGL ES 3.2 Mesa 22.3.6',
    'llvmpipe (LLVM 15.0.6, 256 bits)',
    'SwiftShader Device (Subzero)',
    'Microsoft Basic Render Driver',
    'softpipe',
  ]) {
    assert.ok(isSoftwareAdapter(software), software);
  }
  for (const hardware of [
    'NVIDIA GeForce RTX 4090',
    'AMD Radeon Pro W7900 (RADV NAVI31)',
    'Intel(R) Arc(TM) A770 Graphics',
    'Apple M2 Max',
    'Mali-G710',
  ]) {
    assert.ok(!isSoftwareAdapter(hardware), hardware);
  }
});

test('auto prefers wasm to a software WebGPU adapter and says why; webgpu by name still runs on it', async (t) => {
  const auto = new ProfilerHost(options('auto'));
  const named = new ProfilerHost(options('webgpu'));
  try {
    const info = await auto.backends();
    const webgpu = info.statuses.find((s) => s.name === 'webgpu')!;
    if (!webgpu.available) {
      t.skip(`no WebGPU adapter here: ${webgpu.detail}`);
      return;
    }
    const quick: ProfileRequest = { kernel: { kind: 'dropout', p: 0.1 }, shape: [4, 16, 32], seed: 1, repeats: 1 };
    if (isSoftwareAdapter(webgpu.detail)) {
      assert.equal(info.backend, 'wasm', `auto on ${webgpu.detail}`);
      assert.match(webgpu.detail, /a software renderer \(the GPU is emulated on the CPU\): auto uses wasm before it/);
      assert.match(webgpu.detail, /set reglens\.profiler\.backend to webgpu/);
    } else {
      assert.equal(info.backend, 'webgpu', 'a hardware adapter comes first');
      assert.doesNotMatch(webgpu.detail, /software/);
    }
    assert.equal((await auto.profile(quick)).backend, info.backend);
    const result = await named.profile(quick);
    assert.equal(result.backend, 'webgpu', 'reglens.profiler.backend = webgpu uses the adapter, software or not');
    assert.equal((await named.backends()).fallback, undefined);
  } finally {
    auto.dispose();
    named.dispose();
  }
});
