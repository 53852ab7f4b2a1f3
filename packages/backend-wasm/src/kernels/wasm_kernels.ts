import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import {findBackend} from '@tensorflow/tfjs-core';

import {plainKernelsBase64, plainRelaxedKernelsBase64, sharedKernelsBase64, sharedRelaxedKernelsBase64} from '../generated/kernels_wasm';

import {CONTROL_BYTES, ThreadPool} from './thread_pool';
import {heap} from './wasm_util';

/** The exports of assembly/index.ts; pointers are byte offsets into tfjs-backend-wasm's memory. */
export interface WasmKernels {
  productBroadcast(
      rows: number, taps: number, x: number, xStride: number, xTable: number, zeroRow: number, w: number, ptr: number,
      block: number, other: number, segments: number, bs: number, blockRows: number, blockCols: number, nnz: number,
      y: number, yStride: number, bias: number, relu: boolean, unitFirst: number, unitEnd: number): void;
  productDot(
      rows: number, taps: number, tap: number, x: number, xStride: number, w: number, ptr: number, block: number,
      other: number, segments: number, bs: number, blockRows: number, blockCols: number, nnz: number, y: number,
      yStride: number, yTable: number, scratchRow: number, accumulate: boolean, bias: number, relu: boolean,
      unitFirst: number, unitEnd: number): void;
  gradW(
      rows: number, taps: number, x: number, xStride: number, xTable: number, zeroRow: number, dy: number,
      dyStride: number, blockRows: number, blockCols: number, nnz: number, bs: number, dw: number,
      accumulate: boolean, unitFirst: number, unitEnd: number): void;
}

/** The module built for tfjs's plain or shared memory, with or without relaxed SIMD (see scripts/build_wasm.mjs). */
type Variant = 'plain'|'shared'|'plainRelaxed'|'sharedRelaxed';

const BINARIES: Record<Variant, string> = {
  plain: plainKernelsBase64,
  shared: sharedKernelsBase64,
  plainRelaxed: plainRelaxedKernelsBase64,
  sharedRelaxed: sharedRelaxedKernelsBase64
};
const modules: Partial<Record<Variant, WebAssembly.Module>> = {};
const compiling: Partial<Record<Variant, Promise<void>>> = {};
let relaxed: boolean|null = null;

/**
 * Whether this engine has relaxed SIMD (Chrome 114+; Node 20 only with
 * --experimental-wasm-relaxed-simd): the kernels then use fused
 * multiply-adds, which on CPUs with two vector ports halve the arithmetic.
 */
export function blockSparseWasmRelaxedSimd(): boolean {
  relaxed ??= WebAssembly.validate(bytes('plainRelaxed'));
  return relaxed;
}

function variantFor(shared: boolean): Variant {
  return `${shared ? 'shared' : 'plain'}${blockSparseWasmRelaxedSimd() ? 'Relaxed' : ''}` as Variant;
}
const instances = new WeakMap<BackendWasm, BackendKernels>();

function bytes(kind: Variant): Uint8Array<ArrayBuffer> {
  const text = atob(BINARIES[kind]);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    out[i] = text.charCodeAt(i);
  }
  return out;
}

/**
 * Compiles the kernels' module off the main thread and, once the wasm
 * backend is initialized, starts the kernels' workers and waits for them.
 * Importing the package starts the compile; browsers refuse to compile a
 * module this size synchronously on the main thread, and workers only start
 * while the page yields to its event loop, so a page should
 * `await tf.setBackend('wasm'); await tfbs.blockSparseWasmReady();`.
 */
export async function blockSparseWasmReady(): Promise<void> {
  await Promise.all([variantFor(false), variantFor(true)].map(kind => {
    if (compiling[kind] == null) {
      compiling[kind] = WebAssembly.compile(bytes(kind)).then(module => {
        modules[kind] = module;
      });
    }
    return compiling[kind];
  }));
  const backend = findBackend('wasm') as BackendWasm | null;
  const pool = backend == null ? null : kernelsOf(backend).pool;
  if (pool != null) {
    await pool.started();
  }
}

function compiledModule(kind: Variant): WebAssembly.Module {
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

interface BackendKernels {
  kernels: WasmKernels;
  /** Workers sharing the jobs, where the backend's memory is shared and tfjs runs threads; else null. */
  pool: ThreadPool|null;
}

/** Below this many multiply-adds a job runs on the calling thread: waking workers costs more. */
const MIN_THREADED_WORK = 1 << 18;

let requestedThreads: number|null = null;

/**
 * Sets how many threads the block-sparse kernels run on (the calling one
 * included) where the page allows threads; by default as many as
 * tfjs-backend-wasm runs (tf.wasm.setThreadsCount, which its build caps at
 * half the cores, up to 4). Call it before the first block-sparse op.
 */
export function setBlockSparseWasmThreads(threads: number): void {
  if (!(Number.isInteger(threads) && threads >= 1)) {
    throw new Error(`setBlockSparseWasmThreads: threads must be a positive integer, got ${threads}`);
  }
  requestedThreads = threads;
}

function threadsFor(backend: BackendWasm): number {
  const tfjs = (backend.wasm as unknown as {tfjs: {getThreadsCount?: () => number}}).tfjs;
  return requestedThreads ?? tfjs.getThreadsCount?.() ?? 1;
}

/** The kernels, instantiated once per backend on the backend's own memory, with their workers. */
function kernelsOf(backend: BackendWasm): BackendKernels {
  let entry = instances.get(backend);
  if (entry == null) {
    if (!simdSupported()) {
      throw new Error(
          'the block-sparse kernels on the wasm backend need WebAssembly SIMD (Chrome 91+, Firefox 89+, ' +
          'Safari 16.4+, Node 16.4+); on this engine use the cpu backend with @tfjs-blocksparse/backend-cpu');
    }
    const memory = backendMemory(backend);
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const module = compiledModule(variantFor(shared));
    const kernels = new WebAssembly.Instance(module, {env: {memory}}).exports as unknown as WasmKernels;
    const helpers = threadsFor(backend) - 1;
    const pool = shared && helpers > 0 && typeof Worker !== 'undefined' ?
        new ThreadPool(module, memory, heap(backend)._malloc(CONTROL_BYTES) >>> 0, helpers, KERNEL_NAMES) :
        null;
    entry = {kernels, pool};
    instances.set(backend, entry);
  }
  return entry;
}

const KERNEL_NAMES: Array<keyof WasmKernels> = ['productBroadcast', 'productDot', 'gradW'];

/**
 * Runs a kernel over its work units [0, units) (segments or blocks; see
 * assembly/), split among threads where there are any and the job holds
 * at least MIN_THREADED_WORK multiply-adds that threads can share.
 */
export function runKernel<K extends keyof WasmKernels>(
    backend: BackendWasm, name: K, args: Array<number|boolean>, units: number, work: number): void {
  const {kernels, pool} = kernelsOf(backend);
  const numbers = args.map(Number);
  const run = kernels[name] as unknown as (...a: number[]) => void;
  if (pool == null || pool.helpers === 0 || work < MIN_THREADED_WORK || units < 2) {
    run(...numbers, 0, units);
  } else {
    pool.run(kernels as unknown as Record<string, (...a: number[]) => void>, KERNEL_NAMES.indexOf(name), numbers, units);
  }
}

/**
 * The threads that the block-sparse kernels run on, on the initialized wasm
 * backend: 1, or 1 plus the workers started so far (in a cross-origin
 * isolated page with tf.wasm.setThreadsCount > 1; they start on the first
 * block-sparse call and join the calls after it).
 */
export function blockSparseWasmThreads(): number {
  const backend = findBackend('wasm') as BackendWasm | null;
  if (backend == null) {
    throw new Error('blockSparseWasmThreads: the wasm backend is not initialized (await tf.setBackend(\'wasm\') first)');
  }
  return 1 + (kernelsOf(backend).pool?.helpers ?? 0);
}
