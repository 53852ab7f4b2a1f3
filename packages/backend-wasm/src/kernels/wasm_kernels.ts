import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import {engine} from '@tensorflow/tfjs-core';

import {compiledModule, compileModules, simdSupported, variantFor, WasmKernels} from './kernel_modules';
import {controlBytes, ThreadPool} from './thread_pool';
import {allocate} from './wasm_util';

/**
 * Compiles the kernels' modules off the main thread (browsers refuse to
 * compile one this size synchronously there) and, once the wasm backend is
 * initialized, starts the kernels' workers and waits for them (workers only
 * start while the page yields to its event loop). A page should
 * `await tf.setBackend('wasm'); await tfbs.blockSparseWasmReady();`; in Node
 * the kernels also compile on first use.
 */
export async function blockSparseWasmReady(): Promise<void> {
  await compileModules();
  const backend = initializedWasmBackend();
  const pool = backend == null ? null : kernelsOf(backend).pool;
  if (pool != null) {
    await pool.started();
  }
}

/**
 * The wasm backend where it is initialized, else null. (tf.findBackend would
 * start initializing it, and while that is pending tfjs refuses every op on
 * the current backend.)
 */
function initializedWasmBackend(): BackendWasm|null {
  return (engine().registry['wasm'] as BackendWasm | undefined) ?? null;
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

const instances = new WeakMap<BackendWasm, BackendKernels>();

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
 * half the cores, up to 4). A pool already running is stopped and the next
 * call starts one of the new size (`await blockSparseWasmReady()` waits for it).
 */
export function setBlockSparseWasmThreads(threads: number): void {
  if (!(Number.isInteger(threads) && threads >= 1)) {
    throw new Error(`setBlockSparseWasmThreads: threads must be a positive integer, got ${threads}`);
  }
  requestedThreads = threads;
  const backend = initializedWasmBackend();
  const entry = backend == null ? undefined : instances.get(backend);
  if (entry != null) {
    entry.pool?.dispose();
    entry.pool = startPool(backend!);
  }
}

function threadsFor(backend: BackendWasm): number {
  const tfjs = (backend.wasm as unknown as {tfjs: {getThreadsCount?: () => number}}).tfjs;
  return requestedThreads ?? tfjs.getThreadsCount?.() ?? 1;
}

/** Workers for the kernels, where the backend's memory is shared, tfjs runs threads and the page has Worker; else null. */
function startPool(backend: BackendWasm): ThreadPool|null {
  const memory = backendMemory(backend);
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const helpers = threadsFor(backend) - 1;
  if (!shared || helpers <= 0 || typeof Worker === 'undefined') {
    return null;
  }
  const control = allocate(backend, controlBytes(helpers));
  return new ThreadPool(compiledModule(variantFor(true)), memory, control, helpers, KERNEL_NAMES);
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
    const kernels = new WebAssembly.Instance(compiledModule(variantFor(shared)), {env: {memory}}).exports as unknown as WasmKernels;
    entry = {kernels, pool: startPool(backend)};
    instances.set(backend, entry);
  }
  return entry;
}

const KERNEL_NAMES: Array<keyof WasmKernels> = [
  'productBroadcast', 'productBroadcastHalf', 'productDot', 'gradW', 'productInt8', 'quantizeRows', 'widenBlocks', 'widenHalves',
  'lstmGates'
];

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
 * isolated page with more than one thread asked for; they start on the first
 * block-sparse call and join the calls after it).
 */
export function blockSparseWasmThreads(): number {
  const backend = initializedWasmBackend();
  if (backend == null) {
    throw new Error('blockSparseWasmThreads: the wasm backend is not initialized (await tf.setBackend(\'wasm\') first)');
  }
  return 1 + (kernelsOf(backend).pool?.helpers ?? 0);
}
