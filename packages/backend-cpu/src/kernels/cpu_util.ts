import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {backend_util, FusedActivationAttrs} from '@tfjs-blocksparse/core';
import type {TensorInfo} from '@tensorflow/tfjs-core';

export function float32Values(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}

/**
 * A packed weight's values and where a block's rows lie in them: float32
 * blocks row after row, as are float16 blocks (an int32 tensor [..., bs,
 * bs / 2], two to a value), decoded for the call (plain JavaScript computes in
 * float64 either way); int8 blocks (an int32 tensor, four to a value) seen
 * as their int8 values, in pairs of rows (backend_util.int8Offset). Row k of
 * the block at `base` holds its column j at rowStart(base, k) + j * step.
 */
export function packedWeight(backend: MathBackendCPU, w: TensorInfo, bs: number):
    {values: Float32Array|Int8Array, rowStart: (base: number, k: number) => number, step: number} {
  const values = backend.data.get(w.dataId).values as Float32Array | Int32Array;
  if (backend_util.blockFormatOf(w, bs) === 'float16') {
    return {values: backend_util.float16Values(values as Int32Array), rowStart: (base, k) => base + k * bs, step: 1};
  }
  if (w.dtype === 'int32') {
    return {
      values: new Int8Array(values.buffer, values.byteOffset, values.length * 4),
      rowStart: (base, k) => base + backend_util.int8Offset(k, 0, bs),
      step: 2
    };
  }
  return {values: values as Float32Array, rowStart: (base, k) => base + k * bs, step: 1};
}

/** A fused activation as a function of one value and its output column (tfjs's own formulas; prelu's slope is the column's). */
export function activationOf(
    {activation, leakyreluAlpha}: FusedActivationAttrs, preluSlopes: Float32Array|null): ((v: number, column: number) => number)|null {
  switch (activation) {
    case 'relu':
      return v => v < 0 ? 0 : v;
    case 'relu6':
      return v => v < 0 ? 0 : v > 6 ? 6 : v;
    case 'elu':
      return v => v >= 0 ? v : Math.exp(v) - 1;
    case 'leakyrelu':
      return v => v < 0 ? leakyreluAlpha * v : v;
    case 'sigmoid':
      return v => 1 / (1 + Math.exp(-v));
    case 'prelu':
      return (v, column) => v < 0 ? preluSlopes![column] * v : v;
    default:
      return null;
  }
}

/**
 * Scales acc[j] by scales[base + j] (int8 blocks), adds bias[base + j]
 * (where there is a bias) and applies `activate` (where there is one) as
 * for column base + j, in place.
 */
export function finishBlock(
    acc: Float32Array, scales: Float32Array|null, bias: Float32Array|null, base: number,
    activate: ((v: number, column: number) => number)|null): void {
  if (scales != null) {
    for (let j = 0; j < acc.length; j++) {
      acc[j] *= scales[base + j];
    }
  }
  if (bias != null) {
    for (let j = 0; j < acc.length; j++) {
      acc[j] += bias[base + j];
    }
  }
  if (activate != null) {
    for (let j = 0; j < acc.length; j++) {
      acc[j] = activate(acc[j], base + j);
    }
  }
}
