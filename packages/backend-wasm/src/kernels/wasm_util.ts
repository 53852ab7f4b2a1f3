import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import type {TensorInfo} from '@tensorflow/tfjs-core';
import {backend_util, BlockLayout, FUSED_ACTIVATIONS, FusedActivationAttrs} from '@tfjs-blocksparse/core';

/** What the kernels use of tfjs-backend-wasm's emscripten module (typed loosely by tfjs). */
interface EmscriptenHeap {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(offset: number): void;
}

export function heap(backend: BackendWasm): EmscriptenHeap {
  return backend.wasm as unknown as EmscriptenHeap;
}

/** An int32 view of the backend's memory; take it after the last allocation (growing memory detaches views). */
export function int32View(backend: BackendWasm, offset: number, length: number): Int32Array {
  return new Int32Array(heap(backend).HEAPU8.buffer, offset, length);
}

/** Where a tensor's values start in the wasm backend's memory (bytes). */
export function offsetOf(backend: BackendWasm, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset;
}

/**
 * The error for an allocation the backend's heap could not make: emscripten's
 * malloc then returns 0 (tfjs-backend-wasm grows its memory, so it does not
 * abort), and writing there would corrupt the heap.
 */
function outOfMemory(bytes: number): Error {
  return new Error(
      `the wasm backend is out of memory: ${bytes} more bytes do not fit in tfjs-backend-wasm's heap (4 GiB at ` +
      'most): use smaller batches, or dispose tensors that are no longer needed');
}

/** `bytes` from the backend's allocator, or a clear error where its heap is full. */
export function allocate(backend: BackendWasm, bytes: number): number {
  const offset = heap(backend)._malloc(Math.max(bytes, 4)) >>> 0;
  if (offset === 0) {
    throw outOfMemory(bytes);
  }
  return offset;
}

/** A tensor in the backend's memory (uninitialized, or holding values), or a clear error where its heap is full. */
export function makeTensor(backend: BackendWasm, shape: number[], dtype: 'float32'|'int32', values?: Float32Array|Int32Array): TensorInfo {
  // Allocated empty and checked before the values go in: tfjs would copy them to offset 0.
  const out = backend.makeOutput(shape, dtype);
  const bytes = 4 * shape.reduce((a, b) => a * b, 1);
  if (bytes > 0 && offsetOf(backend, out) === 0) {
    backend.disposeData(out.dataId);
    throw outOfMemory(bytes);
  }
  if (values != null) {
    backend.typedArrayFromHeap(out).set(values);
  }
  return out;
}

/** A float32 view of a tensor's values; take it after the last allocation (growing memory detaches views). */
export function floatValues(backend: BackendWasm, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** A float32 output in the backend's memory, left uninitialized (the kernels write every value). */
export function makeOutput(backend: BackendWasm, shape: number[]): TensorInfo {
  return makeTensor(backend, shape, 'float32');
}

/** A float32 output set to zeros, for kernels that accumulate into it. */
export function makeZeros(backend: BackendWasm, shape: number[]): TensorInfo {
  const out = makeOutput(backend, shape);
  const size = shape.reduce((a, b) => a * b, 1);
  const offset = offsetOf(backend, out);
  heap(backend).HEAPU8.fill(0, offset, offset + 4 * size);
  return out;
}

/**
 * The product kernels' last arguments: where the bias is (0: none), the
 * activation's number, and its slope below zero: leakyrelu's as its
 * float32 bits, prelu's as where its slopes are (see assembly/activation.ts).
 */
export function epilogueArgs(
    backend: BackendWasm, {bias, preluActivationWeights}: {bias?: TensorInfo, preluActivationWeights?: TensorInfo},
    attrs: FusedActivationAttrs): number[] {
  return [
    bias == null ? 0 : offsetOf(backend, bias), FUSED_ACTIVATIONS.indexOf(attrs.activation),
    preluActivationWeights == null ? floatBits(attrs.leakyreluAlpha) : offsetOf(backend, preluActivationWeights)
  ];
}

// One buffer for every call: two typed arrays made per call showed in a profile of small products.
const slopeFloat = new Float32Array(1);
const slopeBits = new Int32Array(slopeFloat.buffer);

/** A float32's bits as an int32. */
function floatBits(value: number): number {
  slopeFloat[0] = value;
  return slopeBits[0];
}

/** The SIMD kernels move 4 floats at a time along a block. */
export function checkBlockSize(layout: BlockLayout, kernelName: string) {
  const bs = layout.blockSize;
  if (bs % 4 !== 0) {
    throw new Error(
        `${kernelName} on wasm: block size ${bs} is not supported; the SIMD kernels take multiples of 4 ` +
        '(4, 8, 16, 32, 64, ...)');
  }
}

const tableBackends = new WeakMap<BackendWasm, backend_util.TableBackend>();

/** The wasm backend seen as core's backend_util.TableBackend: tables live in its memory, outside the engine's count. */
function asTableBackend(backend: BackendWasm): backend_util.TableBackend {
  let tables = tableBackends.get(backend);
  if (tables == null) {
    tables = {
      makeTensorInfo: (shape, _dtype, values) => makeTensor(backend, shape, 'int32', values),
      disposeData: (dataId, force) => backend.disposeData(dataId, force),
    };
    tableBackends.set(backend, tables);
  }
  return tables;
}

/** A layout's segment table (by output column, or by input row for x·Wᵀ), built once per layout and backend. */
export function segmentTable(
    backend: BackendWasm, layout: BlockLayout, kind: 'byColumn'|'byRow'): {ptr: number, block: number, other: number, segments: number} {
  const base = offsetOf(backend, backend_util.layoutTable(asTableBackend(backend), layout, kind));
  const segments = kind === 'byColumn' ? layout.colBlocks : layout.rowBlocks;
  const block = base + 4 * (segments + 1);
  return {ptr: base, block, other: block + 4 * layout.nnz, segments};
}

/** Kept blocks up to this many bytes stay in L1 while a row tile goes over all of them: productBroadcast then runs row-major. */
const ROW_MAJOR_WEIGHT_BYTES = 32768;

/** Whether the kept blocks over `taps` taps, of `weightBytes` bytes a weight, fit in ROW_MAJOR_WEIGHT_BYTES. */
export function fitsInL1(layout: BlockLayout, taps: number, weightBytes: number): boolean {
  return layout.nnz * taps * layout.blockSize * layout.blockSize * weightBytes <= ROW_MAJOR_WEIGHT_BYTES;
}

/**
 * Whether int8 blocks are better widened to float32 for a call than read
 * as int8: where the float32 blocks fit in L1 (the product then runs
 * row-major), widening them costs little, while quantizing x to int16 can
 * cost more than the whole product (a thin 1x1 conv over a large image).
 */
export function widensInt8(layout: BlockLayout, taps: number): boolean {
  return fitsInL1(layout, taps, 4);
}

/** Row tiles (of 4 rows) per work unit of a row-major product: enough units for threads to share, few enough to cost nothing. */
const ROW_TILES_PER_UNIT = 16;

/**
 * productBroadcast's (and productInt8's) loop order (their `rowTiles`
 * argument) and work units, for a product of `rows` rows over `taps` taps
 * of weights of `weightBytes` bytes (4: float32, 1: int8).
 */
export function broadcastOrder(
    rows: number, taps: number, layout: BlockLayout, segments: number, weightBytes = 4): {rowTiles: number, units: number} {
  if (!fitsInL1(layout, taps, weightBytes)) {
    return {rowTiles: 0, units: segments + 1};
  }
  return {rowTiles: ROW_TILES_PER_UNIT, units: Math.ceil((rows >> 2) / ROW_TILES_PER_UNIT) + 1};
}

/** The kept blocks' (row, column) coordinates, built once per layout and backend. */
export function coordinateTable(backend: BackendWasm, layout: BlockLayout): {rows: number, cols: number} {
  const base = offsetOf(backend, backend_util.layoutTable(asTableBackend(backend), layout, 'coords'));
  return {rows: base, cols: base + 4 * layout.nnz};
}

/**
 * Runs `body` with `bytes` of scratch memory from the backend's allocator,
 * zeroed (unless `zeroed` is false: the body writes all of it first),
 * freed afterwards even if `body` throws.
 */
export function withScratch<T>(backend: BackendWasm, bytes: number, body: (offset: number) => T, zeroed = true): T {
  const offset = allocate(backend, bytes);
  try {
    if (zeroed) {
      heap(backend).HEAPU8.fill(0, offset, offset + bytes);
    }
    return body(offset);
  } finally {
    heap(backend)._free(offset);
  }
}
