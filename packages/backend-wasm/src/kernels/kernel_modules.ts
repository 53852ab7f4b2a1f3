// The kernels' WebAssembly modules: built by scripts/build_wasm.mjs, embedded
// as base64, compiled once per variant and shared by every backend instance.
import {plainKernelsBase64, plainRelaxedKernelsBase64, sharedKernelsBase64, sharedRelaxedKernelsBase64} from '../generated/kernels_wasm';

/** The exports of assembly/index.ts; pointers are byte offsets into tfjs-backend-wasm's memory. */
export interface WasmKernels {
  productBroadcast(
      rows: number, taps: number, x: number, xStride: number, xTable: number, zeroRow: number, w: number, ptr: number, block: number,
      other: number, segments: number, bs: number, blockRows: number, blockCols: number, nnz: number, y: number, yStride: number,
      bias: number, activation: number, alphaBits: number, rowTiles: number, unitFirst: number, unitEnd: number): void;
  productBroadcastHalf(
      rows: number, taps: number, x: number, xStride: number, xTable: number, zeroRow: number, w: number, ptr: number, block: number,
      other: number, segments: number, bs: number, blockRows: number, blockCols: number, nnz: number, y: number, yStride: number,
      bias: number, activation: number, alphaBits: number, rowTiles: number, indices: number, regions: number, group: number,
      unitFirst: number, unitEnd: number): void;
  productDot(
      rows: number, taps: number, tap: number, x: number, xStride: number, w: number, ptr: number, block: number, other: number,
      segments: number, bs: number, blockRows: number, blockCols: number, nnz: number, y: number, yStride: number, yTable: number,
      scratchRow: number, accumulate: boolean, bias: number, activation: number, alphaBits: number, unitFirst: number,
      unitEnd: number): void;
  productInt8(
      rows: number, taps: number, xq: number, xStride: number, xTable: number, zeroRow: number, xScales: number, scaleStride: number,
      w: number, ptr: number, block: number, other: number, segments: number, bs: number, blockRows: number, blockCols: number, nnz: number,
      y: number, yStride: number, scales: number, bias: number, activation: number, alphaBits: number, rowTiles: number, unitFirst: number,
      unitEnd: number): void;
  quantizeRows(x: number, cols: number, xq: number, xScales: number, unitFirst: number, unitEnd: number): void;
  widenBlocks(w: number, bs: number, taps: number, blockCols: number, scales: number, out: number, unitFirst: number, unitEnd: number):
      void;
  widenHalves(w: number, out: number, unitFirst: number, unitEnd: number): void;
  lstmGates(z: number, c: number, h: number, cNext: number, units: number, sigmoid: number, unitFirst: number, unitEnd: number): void;
  gradW(
      rows: number, taps: number, x: number, xStride: number, xTable: number, zeroRow: number, dy: number, dyStride: number,
      blockRows: number, blockCols: number, nnz: number, bs: number, dw: number, accumulate: boolean, unitFirst: number,
      unitEnd: number): void;
}

/** The module built for tfjs's plain or shared memory, with or without relaxed SIMD (see scripts/build_wasm.mjs). */
export type Variant = 'plain'|'shared'|'plainRelaxed'|'sharedRelaxed';

const BINARIES: Record<Variant, string> = {
  plain: plainKernelsBase64,
  shared: sharedKernelsBase64,
  plainRelaxed: plainRelaxedKernelsBase64,
  sharedRelaxed: sharedRelaxedKernelsBase64
};
const modules: Partial<Record<Variant, WebAssembly.Module>> = {};
const compiling: Partial<Record<Variant, Promise<void>>> = {};
let simd: boolean|null = null;
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

/** The module for tfjs's plain or shared memory on this engine. */
export function variantFor(shared: boolean): Variant {
  return `${shared ? 'shared' : 'plain'}${blockSparseWasmRelaxedSimd() ? 'Relaxed' : ''}` as Variant;
}
function bytes(kind: Variant): Uint8Array<ArrayBuffer> {
  const text = atob(BINARIES[kind]);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    out[i] = text.charCodeAt(i);
  }
  return out;
}

/** Compiles the modules this engine runs, off the main thread. */
export function compileModules(): Promise<void> {
  return Promise
      .all([variantFor(false), variantFor(true)].map(kind => {
        if (compiling[kind] == null) {
          compiling[kind] = WebAssembly.compile(bytes(kind)).then(module => {
            modules[kind] = module;
          });
        }
        return compiling[kind];
      }))
      .then(() => undefined);
}

/** A variant's module: compiled already, or now (Node; a browser's main thread refuses modules over 4 KB). */
export function compiledModule(kind: Variant): WebAssembly.Module {
  let module = modules[kind];
  if (module == null) {
    try {
      module = new WebAssembly.Module(bytes(kind));
    } catch (e) {
      throw new Error(
          'the block-sparse wasm kernels are still compiling: await tfbs.blockSparseWasmReady() before the ' +
              `first block-sparse op on the wasm backend (${(e as Error).message})`,
          {cause: e});
    }
    modules[kind] = module;
  }
  return module;
}

/** Whether the engine validates 128-bit SIMD: the plain module needs nothing else. */
export function simdSupported(): boolean {
  simd ??= WebAssembly.validate(bytes('plain'));
  return simd;
}
