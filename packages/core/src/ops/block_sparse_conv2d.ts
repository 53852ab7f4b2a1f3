import * as tf from '@tensorflow/tfjs-core';

import {BlockSparseConv2D, BlockSparseConv2DGeometry, BlockSparseConv2DInt8, Conv2DPad} from '../kernel_names';
import type {BlockLayout} from '../layout/block_layout';
import {checkLayout} from '../layout/packing';

import {checkBlocks, checkFloatTensor, pairOf} from './checks';
import {FusedEpilogueOptions, fusedEpilogue, runProduct} from './fused_activation';

/**
 * 2-D convolution, NHWC, whose filter is block-sparse over channels: the
 * layout's grid is (Cin / bs) x (Cout / bs) and `w` packs each kept block's
 * filter as [nnz, kh, kw, bs, bs]. Equal to tf.conv2d with the dense filter
 * [kh, kw, Cin, Cout] that is zero outside the kept blocks. `epilogue`'s
 * bias [Cout] and activation run in the same kernel, as tf.fused.conv2d's.
 * `w` may instead hold int8 blocks (int32 [nnz, kh, kw, bs / 2, bs / 2], with
 * `epilogue.scales` [Cout], as quantizeBlocks makes them), or float16
 * blocks (int32 [nnz, kh, kw, bs, bs / 2], as toFloat16Blocks makes them).
 */
function blockSparseConv2d_<T extends tf.Tensor3D|tf.Tensor4D>(
    x: T, w: tf.Tensor, layout: BlockLayout, strides: number|[number, number] = 1, pad: Conv2DPad = 'valid',
    dilations: number|[number, number] = 1, epilogue: BlockSparseConv2dEpilogue = {}): T {
  const caller = 'blockSparseConv2d';
  checkLayout(layout, caller);
  const {scales} = epilogue;
  const int8 = checkBlocks(w, scales, layout, 2, BlockSparseConv2D, BlockSparseConv2DInt8, caller) === 'int8';
  checkFloatTensor(x, 'x', caller);
  if (x.rank !== 4 && x.rank !== 3) {
    throw new Error(`${caller}: x must be [batch, h, w, Cin] or [h, w, Cin], got [${x.shape}]`);
  }
  const x4 = (x.rank === 3 ? tf.expandDims(x, 0) : x) as tf.Tensor4D;
  if (x4.shape[3] !== layout.inputSize) {
    throw new Error(
        `${caller}: x has ${x4.shape[3]} input channels; the layout needs ` +
        `Cin = ${layout.inputSize} (${layout.rowBlocks} blocks of ${layout.blockSize})`);
  }
  const geometry = conv2DGeometry(layout, strides, pad, dilations, caller);
  const [kh, kw] = w.shape.slice(1, 3) as [number, number];
  conv2DInfo(x4.shape, kh, kw, geometry, caller);
  const checkedEpilogue = fusedEpilogue(epilogue, layout.outputSize, caller);
  const [kernelName, inputs] = int8 ? [BlockSparseConv2DInt8, {x: x4, w, scales: scales!}] : [BlockSparseConv2D, {x: x4, w}];
  // With no kept block there is no product to fuse into: bias and activation run as ops of their own.
  const y = runProduct(kernelName, inputs, geometry, checkedEpilogue, layout.nnz > 0);
  return (x.rank === 3 ? tf.squeeze(y, [0]) : y) as T;
}

/** blockSparseConv2d's fused bias and activation, and the scales of int8 blocks. */
export interface BlockSparseConv2dEpilogue extends FusedEpilogueOptions {
  /** The scales [Cout] of int8 blocks (w int32, from quantizeBlocks); only with them. */
  scales?: tf.Tensor;
}

export const blockSparseConv2d = tf.op({blockSparseConv2d_});

function conv2DGeometry(
    layout: BlockLayout, strides: number|[number, number], pad: Conv2DPad, dilations: number|[number, number],
    caller: string): BlockSparseConv2DGeometry {
  const s = pairOf(strides, 'strides', caller);
  const d = pairOf(dilations, 'dilations', caller);
  if ((s[0] > 1 || s[1] > 1) && (d[0] > 1 || d[1] > 1)) {
    throw new Error(
        `${caller}: strides and dilations cannot both be > 1 (as in tf.conv2d), ` +
        `got strides [${s}] and dilations [${d}]`);
  }
  if (pad !== 'same' && pad !== 'valid' && !(Number.isInteger(pad) && pad >= 0)) {
    throw new Error(`${caller}: pad must be 'same', 'valid' or a non-negative integer, got ${JSON.stringify(pad)}`);
  }
  return {layout, strides: s, pad, dilations: d};
}

/**
 * tfjs's conv geometry (output size, padding) for the dense filter that the
 * layout stands for; shared by every backend's kernels.
 */
export function conv2DInfo(
    xShape: number[], kh: number, kw: number, attrs: BlockSparseConv2DGeometry, caller = 'blockSparseConv2d'): tf.backend_util.Conv2DInfo {
  const {layout, strides, pad, dilations} = attrs;
  const info = tf.backend_util.computeConv2DInfo(
      xShape as [number, number, number, number], [kh, kw, layout.inputSize, layout.outputSize], strides, dilations, pad);
  if (info.outHeight <= 0 || info.outWidth <= 0) {
    throw new Error(
        `${caller}: a ${kh}x${kw} filter (dilations [${dilations}]) with pad ` +
        `${JSON.stringify(pad)} does not fit the input [${xShape}]`);
  }
  return info;
}
