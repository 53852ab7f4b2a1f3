import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';

import {plainKernelsBase64, sharedKernelsBase64} from '../generated/kernels_wasm';

/** The exports of assembly/index.ts; pointers are byte offsets into tfjs-backend-wasm's memory. */
export interface WasmKernels {
  productBroadcast(
      rows: number, taps: number, x: number, xStride: number, xTable: number, zeroRow: number, w: number, ptr: number,
      block: number, other: number, segments: number, bs: number, blockRows: number, blockCols: number, nnz: number,
      y: number, yStride: number, bias: number, relu: boolean): void;
  productDot(
      rows: number, taps: number, tap: number, x: number, xStride: number, w: number, ptr: number, block: number,
      other: number, segments: number, bs: number, blockRows: number, blockCols: number, nnz: number, y: number,
      yStride: number, yTable: number, scratchRow: number, accumulate: boolean, bias: number, relu: boolean): void;
  gradW(
      rows: number, taps: number, x: number, xStride: number, xTable: number, zeroRow: number, dy: number,
      dyStride: number, blockRows: number, blockCols: number, nnz: number, bs: number, dw: number,
      accumulate: boolean): void;
}

type MemoryKind = 'plain'|'shared';

const BINARIES: Record<MemoryKind, string> = {plain: plainKernelsBase64, shared: sharedKernelsBase64};
const modules: Partial<Record<MemoryKind, WebAssembly.Module>> = {};
const compiling: Partial<Record<MemoryKind, Promise<void>>> = {};
const instances = new WeakMap<BackendWasm, WasmKernels>();

function bytes(kind: MemoryKind): Uint8Array<ArrayBuffer> {
  const text = atob(BINARIES[kind]);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    out[i] = text.charCodeAt(i);
  }
  return out;
}

/**
 * Compiles the kernels' module off the main thread. Importing the package
 * starts it; browsers refuse to compile a module this size synchronously on
 * the main thread, so a page should await this (or tf.ready() after
 * setBackend('wasm'), which takes far longer) before the first call.
 */
export function blockSparseWasmReady(): Promise<void> {
  return Promise.all((['plain', 'shared'] as MemoryKind[]).map(kind => {
    if (compiling[kind] == null) {
      compiling[kind] = WebAssembly.compile(bytes(kind)).then(module => {
        modules[kind] = module;
      });
    }
    return compiling[kind];
  })).then(() => undefined);
}

function compiledModule(kind: MemoryKind): WebAssembly.Module {
  let module = modules[kind];
  if (module == null) {
    try {
      module = new WebAssembly.Module(bytes(kind));
    } catch (e) {
      throw new Error(
          'the block-sparse wasm kernels are still compiling: await tfbs.blockSparseWasmReady() before the ' +
          `first block-sparse op on the wasm backend (${(e as Error).message})`);
    }
    modules[kind] = module;
  }
  return module;
}

/** tfjs-backend-wasm's WebAssembly.Memory: exported by its plain builds, created in JS by the threaded one. */
function backendMemory(backend: BackendWasm): WebAssembly.Memory {
  const wasm = backend.wasm as unknown as {wasmMemory?: WebAssembly.Memory, asm?: {memory?: WebAssembly.Memory}};
  const memory = wasm.wasmMemory ?? wasm.asm?.memory;
  if (memory == null) {
    throw new Error('the block-sparse wasm kernels cannot find tfjs-backend-wasm\'s memory (a tfjs-backend-wasm other than 4.x?)');
  }
  return memory;
}

function simdSupported(): boolean {
  // v128.const then drop: a module that only validates with 128-bit SIMD.
  return WebAssembly.validate(new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 23, 1, 21, 0, 253, 12,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 26, 11
  ]));
}

/** The kernels, instantiated once per backend on the backend's own memory. */
export function wasmKernels(backend: BackendWasm): WasmKernels {
  let kernels = instances.get(backend);
  if (kernels == null) {
    if (!simdSupported()) {
      throw new Error(
          'the block-sparse kernels on the wasm backend need WebAssembly SIMD (Chrome 91+, Firefox 89+, ' +
          'Safari 16.4+, Node 16.4+); on this engine use the cpu backend with @tfjs-blocksparse/backend-cpu');
    }
    const memory = backendMemory(backend);
    const kind: MemoryKind =
        typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer ? 'shared' : 'plain';
    const instance = new WebAssembly.Instance(compiledModule(kind), {env: {memory}});
    kernels = instance.exports as unknown as WasmKernels;
    instances.set(backend, kernels);
  }
  return kernels;
}
