import * as tf from '@tensorflow/tfjs-core';

import type {BlockLayout} from './block_layout';
import {checkFloatBlocks} from './packing';
import {readValues} from './read_values';

/**
 * Block-sparse weights held as int8: what quantizeBlocks returns and what
 * blockSparseMatMul / blockSparseConv2d take in place of float32 blocks.
 */
export interface Int8Blocks {
  /** The kept blocks' int8 values, four to an int32: [nnz, ...spatial, bs / 2, bs / 2] (see int8Offset). */
  w: tf.Tensor;
  /** One scale per output column: a block's value is its int8 value times its column's scale. */
  scales: tf.Tensor1D;
}

/** The largest int8 magnitude used: symmetric, so that -w quantizes to -q. */
const INT8_MAX = 127;

/**
 * Packed float32 blocks [nnz, ...spatial, bs, bs] as int8 blocks, with one
 * scale per output column (the largest magnitude in that column of the
 * kept blocks, over 127): each value is off by at most half its column's
 * scale. Each block's values lie in pairs of rows (int8Offset), four to an
 * int32. Reads the weight back (dataSync): a conversion step, not for a
 * model's every call.
 */
export function quantizeBlocks(packed: tf.Tensor, layout: BlockLayout): Int8Blocks {
  const caller = 'quantizeBlocks';
  const spatial = checkInt8PackableBlocks(packed, layout, caller);
  const bs = layout.blockSize;
  const taps = spatial.reduce((a, b) => a * b, 1);
  const values = readValues(packed, caller) as Float32Array;
  const largest = new Float32Array(layout.outputSize);
  forEachValue(layout, taps, (index, column) => {
    const magnitude = Math.abs(values[index]);
    if (!Number.isFinite(magnitude)) {
      throw new Error(`${caller}: the weight holds ${values[index]} (at index ${index}); only finite values quantize`);
    }
    largest[column] = Math.max(largest[column], magnitude);
  });
  const scales = largest.map(v => v / INT8_MAX);
  const q = new Int8Array(values.length);
  forEachValue(layout, taps, (index, column) => {
    q[int8Index(index, bs)] =
        scales[column] === 0 ? 0 : Math.max(-INT8_MAX, Math.min(INT8_MAX, Math.round(values[index] / scales[column])));
  });
  return {w: tf.tensor(new Int32Array(q.buffer), [layout.nnz, ...spatial, bs / 2, bs / 2], 'int32'), scales: tf.tensor1d(scales)};
}

/** The float32 blocks [nnz, ...spatial, bs, bs] that int8 blocks and their scales stand for. Reads them back (dataSync). */
export function dequantizeBlocks({w, scales}: Int8Blocks, layout: BlockLayout): tf.Tensor {
  const caller = 'dequantizeBlocks';
  const spatial = checkInt8Blocks(w, scales, layout, w instanceof tf.Tensor ? w.rank - 3 : 0, caller);
  const taps = spatial.reduce((a, b) => a * b, 1);
  const words = readValues(w, caller) as Int32Array;
  const q = new Int8Array(words.buffer, words.byteOffset, words.length * 4);
  const scale = readValues(scales, caller) as Float32Array;
  const out = new Float32Array(q.length);
  forEachValue(layout, taps, (index, column) => {
    out[index] = q[int8Index(index, layout.blockSize)] * scale[column];
  });
  return tf.tensor(out, [layout.nnz, ...spatial, layout.blockSize, layout.blockSize]);
}

/**
 * Where the int8 value of row k, column j of a bs x bs block lies in the
 * block's bytes: rows go in pairs, and a pair's two values of a column lie
 * side by side, (k, j), (k + 1, j), (k, j + 1), (k + 1, j + 1), ..., so
 * that a kernel multiplies two rows of x by them at once (an int16 dot
 * product of pairs: wasm's i32x4.dot_i16x8_s).
 */
export function int8Offset(k: number, j: number, bs: number): number {
  return (k >> 1) * 2 * bs + 2 * j + (k & 1);
}

/** The int8 offset of float32 blocks' element `index` (blocks of bs x bs, in order). */
function int8Index(index: number, bs: number): number {
  const inBlock = index % (bs * bs);
  return index - inBlock + int8Offset(Math.floor(inBlock / bs), inBlock % bs, bs);
}

/** Calls f(index, output column) for every value of packed blocks [nnz, taps, bs, bs]. */
function forEachValue(layout: BlockLayout, taps: number, f: (index: number, column: number) => void) {
  const bs = layout.blockSize;
  let index = 0;
  for (let e = 0; e < layout.nnz; e++) {
    const first = layout.cols[e] * bs;
    for (let row = 0; row < taps * bs; row++) {
      for (let j = 0; j < bs; j++) {
        f(index++, first + j);
      }
    }
  }
}

/** Checks float32 blocks [nnz, ...spatial, bs, bs] whose block size int8 packing takes; returns the spatial dims. */
function checkInt8PackableBlocks(packed: tf.Tensor, layout: BlockLayout, caller: string): number[] {
  const spatial = checkFloatBlocks(packed, layout, caller);
  checkInt8BlockSize(layout, caller);
  return spatial;
}

/** The largest block whose int32 sums of int16 x and int8 weights cannot overflow (bs/2 · 2 · 32767 · 127 < 2^31). */
const MAX_INT8_BLOCK_SIZE = 256;

function checkInt8BlockSize(layout: BlockLayout, caller: string) {
  const bs = layout.blockSize;
  if (bs % 4 !== 0 || bs > MAX_INT8_BLOCK_SIZE) {
    throw new Error(
        `${caller}: int8 blocks go four to an int32, so the block size must be a multiple of 4 (up to ${MAX_INT8_BLOCK_SIZE}), got ${bs}`);
  }
}

/**
 * Checks int8 blocks w (int32 [nnz, ...spatial, bs / 2, bs / 2], spatialRank
 * spatial dims) and their scales [outputSize]; returns the spatial dims.
 */
export function checkInt8Blocks(w: unknown, scales: unknown, layout: BlockLayout, spatialRank: number, caller: string): number[] {
  checkInt8BlockSize(layout, caller);
  const bs = layout.blockSize;
  const rank = spatialRank + 3;
  if (!(w instanceof tf.Tensor) || w.dtype !== 'int32' || w.rank !== rank || w.shape[0] !== layout.nnz || w.shape[rank - 2] !== bs / 2 ||
      w.shape[rank - 1] !== bs / 2) {
    const spatial = spatialRank === 0 ? '' : ' kh, kw,';
    throw new Error(
        `${caller}: int8 blocks w must be int32 [nnz=${layout.nnz},${spatial} ${bs / 2}, ${bs / 2}] for this layout (four int8 ` +
        `values to an int32, as quantizeBlocks makes them), got ${w instanceof tf.Tensor ? `${w.dtype} [${w.shape}]` : typeof w}`);
  }
  if (!(scales instanceof tf.Tensor) || scales.dtype !== 'float32' || scales.rank !== 1 || scales.shape[0] !== layout.outputSize) {
    throw new Error(
        `${caller}: int8 blocks need their scales, float32 [${layout.outputSize}] (one per output column, as quantizeBlocks ` +
        `makes them), got ${scales instanceof tf.Tensor ? `${scales.dtype} [${scales.shape}]` : String(scales)}`);
  }
  return w.shape.slice(1, -2);
}
