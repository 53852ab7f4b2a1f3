import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import type {TensorInfo} from '@tensorflow/tfjs-core';
import {backend_util, BlockLayout} from '@tfjs-blocksparse/core';

import {runKernel} from './wasm_kernels';
import {coordinateTable, fitsInL1, int32View, offsetOf, withScratch} from './wasm_util';

/**
 * Runs body with x [rows, cols] as int16 rows and their scales (assembly's
 * quantizeRows) in scratch memory: body(xq, xScales), freed afterwards.
 */
export function withInt16Rows<T>(
    backend: BackendWasm, x: TensorInfo, rows: number, cols: number, body: (xq: number, xScales: number) => T): T {
  const rowBytes = 2 * cols;
  return withScratch(backend, rows * (rowBytes + 4), scratch => {
    const xScales = scratch + rows * rowBytes;
    runKernel(backend, 'quantizeRows', [offsetOf(backend, x), cols, scratch, xScales], rows, rows * cols);
    return body(scratch, xScales);
  }, false);
}

/**
 * Runs body with where a packed weight's float32 blocks are: the tensor's
 * own, or, for float16 or int8 blocks (int32 w), a float32 copy in scratch
 * memory for the call, int8 blocks times their scales where given (else at
 * scale 1: the transposed products of dx, whose scales went into dy).
 */
export function withFloatBlocks<T>(
    backend: BackendWasm, w: TensorInfo, scales: TensorInfo|undefined, layout: BlockLayout, taps: number, body: (w: number) => T): T {
  const bs = layout.blockSize;
  const format = backend_util.blockFormatOf(w, bs);
  if (format === 'float32') {
    return body(offsetOf(backend, w));
  }
  const values = layout.nnz * taps * bs * bs;
  return withScratch(backend, 4 * values, out => {
    if (format === 'float16') {
      runKernel(backend, 'widenHalves', [offsetOf(backend, w), out], values / 4, values);
    } else {
      const {cols} = coordinateTable(backend, layout);
      runKernel(
          backend, 'widenBlocks', [offsetOf(backend, w), bs, taps, cols, scales == null ? 0 : offsetOf(backend, scales), out], layout.nnz,
          values);
    }
    return body(out);
  }, false);
}

/** Tiled rows from which float16 blocks are widened once per group (see productBroadcastHalf), not per tile of 4 rows. */
const WIDEN_ONCE_ROWS = 8;

/** The float32 bytes of a group of blocks widened at once: as productBroadcast's groups, they stay in L1 for every row tile. */
const WIDENED_GROUP_BYTES = 16384;

/**
 * Runs body with the weight of a `rows`-row product, the broadcast product
 * that reads it and that product's last arguments before the work units:
 * float32 and int8 blocks as withFloatBlocks gives them, by
 * productBroadcast; float16 blocks by productBroadcastHalf, widened in
 * registers for up to one tile of rows, else a group at a time into
 * scratch, or, where they fit in L1 as float32 (the product runs
 * row-major), all at once (withFloatBlocks).
 */
export function withBroadcastBlocks<T>(
    backend: BackendWasm, w: TensorInfo, scales: TensorInfo|undefined, layout: BlockLayout, taps: number, rows: number,
    body: (w: number, kernel: 'productBroadcast'|'productBroadcastHalf', scratchArgs: number[]) => T): T {
  const bs = layout.blockSize;
  const halves = backend_util.blockFormatOf(w, bs) === 'float16';
  if (!halves || ((rows & ~3) >= WIDEN_ONCE_ROWS && fitsInL1(layout, taps, 4))) {
    return withFloatBlocks(backend, w, scales, layout, taps, w0 => body(w0, 'productBroadcast', []));
  }
  if ((rows & ~3) < WIDEN_ONCE_ROWS) {
    return body(offsetOf(backend, w), 'productBroadcastHalf', [0, 0, 0]);
  }
  const group = Math.max(1, Math.floor(WIDENED_GROUP_BYTES / (4 * bs * bs * taps)));
  // The indices 0..group-1, then each segment's region (16-byte aligned) of `group` float32 blocks.
  const indicesBytes = Math.ceil(group / 4) * 16;
  return withScratch(backend, indicesBytes + layout.colBlocks * group * bs * bs * taps * 4, scratch => {
    int32View(backend, scratch, group).set(Array.from({length: group}, (_, i) => i));
    return body(offsetOf(backend, w), 'productBroadcastHalf', [scratch, scratch + indicesBytes, group]);
  }, false);
}
