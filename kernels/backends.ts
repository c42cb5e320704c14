/**
 * Backend discovery and selection, inside the worker. Order for `auto`: cuda → webgpu → wasm → cpu, except that a
 * WebGPU adapter that is a software renderer (Mesa's llvmpipe, SwiftShader, WARP: the GPU emulated on the CPU)
 * comes after wasm, and its status says so. Every backend that cannot run says why, in words a user can act on.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Tensor } from '@tensorflow/tfjs-core';
import { registerFusedJs } from './fused-js';
import { registerFusedWebGPU } from './fused-webgpu';
import { tf, useTf, type TF } from './tf';

export type BackendName = 'cuda' | 'webgpu' | 'wasm' | 'cpu';
export type BackendSetting = 'auto' | BackendName;
export const BACKEND_ORDER: readonly BackendName[] = ['cuda', 'webgpu', 'wasm', 'cpu'];

export interface BackendStatus {
  name: BackendName;
  available: boolean;
  /** The device (adapter, CPU model) when available; why not otherwise. */
  detail: string;
}

export interface ActiveBackend {
  name: BackendName;
  device: string;
  /** tfjs's own backend name (cuda runs as tfjs-node's `tensorflow`). */
  tfjsName: string;
  sync: (y: Tensor) => Promise<void>;
  /** Largest tensor the backend can bind (WebGPU's maxStorageBufferBindingSize), when it has such a limit. */
  maxTensorBytes?: number;
}

/** `require` that esbuild leaves alone: optional packages are looked up at run time, next to the bundle. */
const runtimeRequire = createRequire(typeof __filename === 'string' ? __filename : path.join(process.cwd(), 'x.js'));

const message = (e: unknown): string => (e instanceof Error ? e.message.split('\n')[0] : String(e)).slice(0, 300);

const cpuModel = (): string => `${os.cpus()[0]?.model?.trim() ?? 'unknown CPU'}`;

interface Probe {
  status: BackendStatus;
  activate?: () => Promise<ActiveBackend>;
  /** A WebGPU adapter that renders on the CPU: `auto` tries wasm before it. */
  software?: boolean;
}

/**
 * CPU renderers that offer a WebGPU adapter: Mesa's llvmpipe (OpenGL ES; lavapipe, its Vulkan driver, names its
 * device llvmpipe too) and softpipe, Google's SwiftShader, Windows' WARP (Microsoft Basic Render Driver).
 */
const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|softpipe|swiftshader|basic render driver/i;

/** Whether an adapter description names a software renderer. */
export function isSoftwareAdapter(description: string): boolean {
  return SOFTWARE_ADAPTER.test(description);
}

/**
 * Why `auto` does not pick a software adapter first. Measured with `npm run bench -- profiler` on a 2-core EPYC
 * with Mesa 22.3 llvmpipe: the fused dropout kernel at [8,256,768] takes 41–53 ms a call there and 11–14 ms on wasm
 * (Philox in WebAssembly SIMD), and the shaders of a cold worker compile on the same CPU.
 */
const SOFTWARE_NOTE =
  'a software renderer (the GPU is emulated on the CPU): auto uses wasm before it, which runs these kernels faster ' +
  'on the same CPU; set reglens.profiler.backend to webgpu to use it anyway';

/** What an untrusted (Restricted Mode) workspace may not do: load the optional native CUDA package. */
const UNTRUSTED_CUDA =
  'not loaded in an untrusted workspace (Restricted Mode): @tensorflow/tfjs-node-gpu is native code; trust the ' +
  'workspace to use it';

async function probeCuda(trusted = true): Promise<Probe> {
  if (!trusted) return { status: { name: 'cuda', available: false, detail: UNTRUSTED_CUDA } };
  let ns: TF;
  try {
    runtimeRequire.resolve('@tensorflow/tfjs-node-gpu');
  } catch {
    return {
      status: {
        name: 'cuda',
        available: false,
        detail:
          'not installed: @tensorflow/tfjs-node-gpu is an optional package (npm install @tensorflow/tfjs-node-gpu; ' +
          'needs Linux x64, CUDA 11.8 and cuDNN 8, and downloads libtensorflow at install time)',
      },
    };
  }
  try {
    ns = runtimeRequire('@tensorflow/tfjs-node-gpu') as TF;
  } catch (e) {
    return { status: { name: 'cuda', available: false, detail: `installed but does not load: ${message(e)}` } };
  }
  const gpus = (ns as unknown as { backend(): { isUsingGpuDevice?: boolean } }).backend();
  if (gpus.isUsingGpuDevice === false)
    return {
      status: { name: 'cuda', available: false, detail: 'tfjs-node-gpu loaded but TensorFlow found no CUDA device' },
    };
  return {
    status: { name: 'cuda', available: true, detail: 'TensorFlow CUDA device' },
    activate: async () => {
      useTf(ns);
      await ns.setBackend('tensorflow');
      return {
        name: 'cuda',
        device: 'TensorFlow CUDA device',
        tfjsName: 'tensorflow',
        sync: async (y) => void y.dataSync(),
      };
    },
  };
}

interface AdapterLike {
  info?: { device?: string; vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
  limits?: Record<string, number>;
}

interface GpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<AdapterLike | null>;
}

async function probeWebGPU(): Promise<Probe> {
  let webgpu: { create: (flags: string[]) => GpuLike; globals: Record<string, unknown> };
  try {
    // An ES module without top-level await: Node 20.19+ loads it with require.
    webgpu = runtimeRequire('webgpu') as typeof webgpu;
  } catch (e) {
    return {
      status: {
        name: 'webgpu',
        available: false,
        detail: `the webgpu package (Dawn) is not installed or does not load: ${message(e)}`,
      },
    };
  }
  // Mesa's EGL needs no display for compute; harmless for Vulkan/Metal/D3D12 adapters.
  process.env.EGL_PLATFORM ??= 'surfaceless';
  Object.assign(globalThis, webgpu.globals);
  const attempts: Array<{ flags: string[]; options: Record<string, unknown>; label: string }> = [
    { flags: [], options: { powerPreference: 'high-performance' }, label: 'default (Vulkan/Metal/D3D12)' },
    {
      flags: ['backend=opengles'],
      options: { featureLevel: 'compatibility' },
      label: 'OpenGL ES compatibility (Mesa)',
    },
  ];
  const failures: string[] = [];
  for (const attempt of attempts) {
    let gpu: GpuLike;
    let adapter: AdapterLike | null;
    try {
      gpu = webgpu.create(attempt.flags);
      adapter = await gpu.requestAdapter(attempt.options);
    } catch (e) {
      failures.push(`${attempt.label}: ${message(e)}`);
      continue;
    }
    if (!adapter) {
      failures.push(`${attempt.label}: no adapter`);
      continue;
    }
    const info = adapter.info ?? {};
    const name = [info.device, info.vendor, info.architecture]
      .find((s) => s && s.trim())
      ?.trim()
      .replace(/-+$/, '');
    const description = info.description?.replace(/^OpenGL version /, '').trim();
    const device = [name, description].filter(Boolean).join(', ') || 'unnamed adapter';
    const found = gpu;
    const maxTensorBytes = adapter.limits?.maxStorageBufferBindingSize;
    const software = info.isFallbackAdapter === true || isSoftwareAdapter(`${device} ${info.vendor ?? ''}`);
    return {
      status: { name: 'webgpu', available: true, detail: software ? `${device}: ${SOFTWARE_NOTE}` : device },
      software,
      activate: async () => {
        // tfjs asks navigator.gpu for an adapter; hand it the one that worked, with the same options.
        const request = found.requestAdapter.bind(found);
        const wrapped = {
          ...found,
          requestAdapter: (o?: Record<string, unknown>) => request({ ...(o ?? {}), ...attempt.options }),
        };
        Object.defineProperty(globalThis, 'navigator', {
          value: { gpu: wrapped, userAgent: `node ${process.version}` },
          configurable: true,
          writable: true,
        });
        const backendModule = require('@tensorflow/tfjs-backend-webgpu') as {
          webgpu_util: Parameters<typeof registerFusedWebGPU>[0];
        };
        const t = tf();
        if (!(await t.setBackend('webgpu')))
          throw new Error('tfjs could not initialise the webgpu backend on this adapter');
        registerFusedWebGPU(backendModule.webgpu_util);
        const backend = t.backend() as unknown as {
          device: { queue: { onSubmittedWorkDone(): Promise<void> } };
          commandEncoder: unknown;
          endComputePassEncoder(): void;
          submitQueue(): void;
        };
        return {
          name: 'webgpu',
          device,
          tfjsName: 'webgpu',
          maxTensorBytes,
          sync: async () => {
            // Close tfjs's open compute pass before submitting, as tfjs itself does before a read.
            backend.endComputePassEncoder();
            if (backend.commandEncoder) backend.submitQueue();
            await backend.device.queue.onSubmittedWorkDone();
          },
        };
      },
    };
  }
  return {
    status: {
      name: 'webgpu',
      available: false,
      detail:
        `no WebGPU adapter (${failures.join('; ')}). Without a GPU on Linux: apt-get install libegl1 ` +
        `libegl-mesa0 libgles2 libgl1-mesa-dri`,
    },
  };
}

/** Where the tfjs-backend-wasm binaries are: next to the bundle (dist/), else in node_modules. */
function wasmDirectory(): string | undefined {
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  if (fs.existsSync(path.join(here, 'tfjs-backend-wasm.wasm'))) return here;
  try {
    return path.dirname(runtimeRequire.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  } catch {
    return undefined;
  }
}

async function probeWasm(): Promise<Probe> {
  const dir = wasmDirectory();
  if (!dir)
    return {
      status: {
        name: 'wasm',
        available: false,
        detail: 'the tfjs-backend-wasm binaries are missing (not in dist/ nor node_modules)',
      },
    };
  let wasm: { setWasmPaths(prefix: string): void; setThreadsCount?(n: number): void; getThreadsCount?(): number };
  try {
    wasm = require('@tensorflow/tfjs-backend-wasm') as typeof wasm;
  } catch (e) {
    return {
      status: { name: 'wasm', available: false, detail: `@tensorflow/tfjs-backend-wasm does not load: ${message(e)}` },
    };
  }
  return {
    status: { name: 'wasm', available: true, detail: cpuModel() },
    activate: async () => {
      wasm.setWasmPaths(dir + path.sep);
      const t = tf();
      if (!(await t.setBackend('wasm'))) throw new Error('tfjs could not initialise the wasm backend');
      registerFusedJs();
      const simd = await t.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const threads = await t.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      const count = threads && wasm.getThreadsCount ? wasm.getThreadsCount() : 1;
      const device =
        `${cpuModel()}; SIMD ${simd ? 'on' : 'off'}; ${count} ` +
        `thread${count === 1 ? '' : 's'}${threads ? '' : ' (no wasm threads in this runtime)'}`;
      return { name: 'wasm', device, tfjsName: 'wasm', sync: async () => undefined };
    },
  };
}

async function probeCpu(): Promise<Probe> {
  require('@tensorflow/tfjs-backend-cpu');
  return {
    status: { name: 'cpu', available: true, detail: `${cpuModel()} (plain JavaScript)` },
    activate: async () => {
      const t = tf();
      if (!(await t.setBackend('cpu'))) throw new Error('tfjs could not initialise the cpu backend');
      registerFusedJs();
      return { name: 'cpu', device: `${cpuModel()} (JavaScript)`, tfjsName: 'cpu', sync: async () => undefined };
    },
  };
}

const PROBES: Record<BackendName, () => Promise<Probe>> = {
  cuda: probeCuda,
  webgpu: probeWebGPU,
  wasm: probeWasm,
  cpu: probeCpu,
};

export interface Selection {
  active: ActiveBackend;
  statuses: BackendStatus[];
  /** Set when the requested backend could not run and another was used. */
  fallback?: string;
}

/**
 * Probes every backend (so the status bar can list them all) and activates the requested one, or for `auto` the
 * first that works (a software WebGPU adapter after wasm). A requested backend that cannot run falls back to
 * `auto`, with the reason.
 */
export async function selectBackend(setting: BackendSetting, trusted = true): Promise<Selection> {
  const probes = new Map<BackendName, Probe>();
  for (const name of BACKEND_ORDER) {
    try {
      probes.set(name, await (name === 'cuda' ? probeCuda(trusted) : PROBES[name]()));
    } catch (e) {
      probes.set(name, { status: { name, available: false, detail: message(e) } });
    }
  }
  const statuses = () => BACKEND_ORDER.map((n) => probes.get(n)!.status);
  let fallback: string | undefined;
  const auto = probes.get('webgpu')!.software ? (['cuda', 'wasm', 'webgpu', 'cpu'] as const) : BACKEND_ORDER;
  const order = setting === 'auto' ? auto : [setting, ...auto.filter((n) => n !== setting)];
  for (const name of order) {
    const probe = probes.get(name)!;
    if (!probe.activate) {
      if (name === setting) fallback = `${name} is not available: ${probe.status.detail}`;
      continue;
    }
    try {
      const active = await probe.activate();
      return { active, statuses: statuses(), fallback };
    } catch (e) {
      probe.status = { name, available: false, detail: `failed to start: ${message(e)}` };
      if (name === setting) fallback = `${name} failed to start: ${message(e)}`;
    }
  }
  throw new Error(
    `no TensorFlow.js backend could start: ${statuses()
      .map((s) => `${s.name}: ${s.detail}`)
      .join('; ')}`,
  );
}
