import * as tf from '@tensorflow/tfjs-core';

import type {BlockLayout} from './block_layout';
import {checkFloatBlocks, checkLayout} from './packing';
import {readValues} from './read_values';

/** The largest finite float16. */
const FLOAT16_MAX = 65504;

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** The float16 nearest a finite value (ties to even), as its 16 bits; throws past ±65504. */
function float16Bits(value: number, caller: string): number {
  scratch[0] = value;
  const bits = scratchBits[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  // Normal: the top 10 of the 23 mantissa bits; subnormal: the mantissa with its leading 1, shifted further.
  const shift = exponent > 0 ? 13 : 14 - exponent;
  if (shift > 24) {
    return sign;
  }
  const full = exponent > 0 ? mantissa : mantissa | 0x800000;
  const kept = (exponent > 0 ? exponent << 10 : 0) | (full >>> shift);
  const rest = full & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  // A carry out of the mantissa moves up the exponent, which is the right rounding.
  const rounded = kept + (rest > half || (rest === half && (kept & 1) === 1) ? 1 : 0);
  if (!Number.isFinite(value) || rounded >= 0x7c00) {
    throw new Error(`${caller}: ${value} does not fit a float16 (finite values up to ${FLOAT16_MAX} in magnitude)`);
  }
  return sign | rounded;
}

let valueTable: Float32Array|null = null;

/** The float32 value of every float16 bit pattern (infinities and NaNs included), made on first use. */
function float16Table(): Float32Array {
  if (valueTable == null) {
    valueTable = new Float32Array(65536);
    const bits = new Uint32Array(valueTable.buffer);
    for (let h = 0; h < 65536; h++) {
      const sign = (h & 0x8000) << 16;
      const exponent = (h >>> 10) & 0x1f;
      const mantissa = h & 0x3ff;
      if (exponent === 0) {
        valueTable[h] = (h & 0x8000 ? -1 : 1) * mantissa * 2 ** -24;
      } else {
        bits[h] = (sign | ((exponent === 31 ? 255 : exponent - 15 + 127) << 23) | (mantissa << 13)) >>> 0;
      }
    }
  }
  return valueTable;
}

/** The float32 values of the float16s that int32 words hold, two to a word (the low half first). */
export function float16Values(words: Int32Array): Float32Array {
  const halves = new Uint16Array(words.buffer, words.byteOffset, words.length * 2);
  const table = float16Table();
  const values = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) {
    values[i] = table[halves[i]];
  }
  return values;
}

/**
 * Packed float32 blocks [nnz, ...spatial, bs, bs] as float16 blocks: an
 * int32 tensor [nnz, ...spatial, bs, bs / 2] whose words each hold two
 * neighbouring values of a row, the even column in the low 16 bits (seen
 * as 16-bit numbers, the values in the float32 blocks' order). Each value is
 * the float16 nearest it, within 2^-11 of it relatively (normal values);
 * half the memory, read as float16 by the cpu, wasm and webgpu kernels.
 * Throws on values beyond float16's range. Reads the weight back
 * (dataSync): a conversion step, not for a model's every call.
 */
export function toFloat16Blocks(packed: tf.Tensor, layout: BlockLayout): tf.Tensor {
  const caller = 'toFloat16Blocks';
  checkFloatBlocks(packed, layout, caller);
  checkEvenBlockSize(layout, caller);
  const bs = layout.blockSize;
  const values = readValues(packed, caller) as Float32Array;
  const halves = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    halves[i] = float16Bits(values[i], caller);
  }
  return tf.tensor(new Int32Array(halves.buffer), [...packed.shape.slice(0, -1), bs / 2], 'int32');
}

/** The float32 blocks [nnz, ...spatial, bs, bs] that float16 blocks stand for, exactly. Reads them back (dataSync). */
export function fromFloat16Blocks(w: tf.Tensor, layout: BlockLayout): tf.Tensor {
  const caller = 'fromFloat16Blocks';
  checkLayout(layout, caller);
  checkFloat16Blocks(w, layout, w instanceof tf.Tensor ? w.rank - 3 : 0, caller);
  return tf.tensor(float16Values(readValues(w, caller) as Int32Array), [...w.shape.slice(0, -1), layout.blockSize]);
}

function checkEvenBlockSize(layout: BlockLayout, caller: string) {
  if (layout.blockSize % 2 !== 0) {
    throw new Error(`${caller}: float16 blocks go two to an int32, so the block size must be even, got ${layout.blockSize}`);
  }
}

/** Whether an int32 weight of this shape holds float16 blocks (last dims bs, bs / 2) rather than int8 ones (bs / 2, bs / 2). */
export function holdsFloat16Blocks(shape: number[], blockSize: number): boolean {
  return shape.length >= 3 && shape[shape.length - 2] === blockSize && shape[shape.length - 1] === blockSize / 2;
}

/** How a packed weight holds its blocks: float32, int8 with scales (quantizeBlocks) or float16 (toFloat16Blocks). */
export type BlockFormat = 'float32'|'int8'|'float16';

/** The format of a packed weight, told by its dtype and shape (int32: float16 blocks where holdsFloat16Blocks, else int8). */
export function blockFormatOf(w: {dtype: string, shape: number[]}, blockSize: number): BlockFormat {
  return w.dtype !== 'int32' ? 'float32' : holdsFloat16Blocks(w.shape, blockSize) ? 'float16' : 'int8';
}

/** Checks float16 blocks w: int32 [nnz, ...spatial, bs, bs / 2] with spatialRank spatial dims. */
export function checkFloat16Blocks(w: unknown, layout: BlockLayout, spatialRank: number, caller: string) {
  checkEvenBlockSize(layout, caller);
  const bs = layout.blockSize;
  const rank = spatialRank + 3;
  if (!(w instanceof tf.Tensor) || w.dtype !== 'int32' || w.rank !== rank || w.shape[0] !== layout.nnz || w.shape[rank - 2] !== bs ||
      w.shape[rank - 1] !== bs / 2) {
    const spatial = spatialRank === 0 ? '' : ' kh, kw,';
    throw new Error(
        `${caller}: float16 blocks w must be int32 [nnz=${layout.nnz},${spatial} ${bs}, ${bs / 2}] for this layout (two float16 ` +
        `values to an int32, as toFloat16Blocks makes them), got ${w instanceof tf.Tensor ? `${w.dtype} [${w.shape}]` : typeof w}`);
  }
}
