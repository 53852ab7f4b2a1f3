import * as tf from '@tensorflow/tfjs-core';

import {asAttrs, BlockSparseMatMul, BlockSparseMatMulGradW, BlockSparseMatMulGradWAttrs, BlockSparseMatMulInt8} from '../kernel_names';
import type {BlockLayout} from '../layout/block_layout';
import {checkLayout} from '../layout/packing';

import {checkBlocks, checkFloatTensor, checkKernel} from './checks';
import {FusedEpilogueOptions, fusedEpilogue, runProduct} from './fused_activation';

/** bias, where given, is [N] ([K] with transposeW). */
export interface BlockSparseMatMulOptions extends FusedEpilogueOptions {
  /** Multiply by Wᵀ [N, K] instead of W [K, N]. */
  transposeW?: boolean;
  /** The scales [layout.outputSize] of int8 blocks (w int32 [nnz, bs / 2, bs / 2], from quantizeBlocks); only with them. */
  scales?: tf.Tensor;
}

/**
 * x [..., K] · W [K, N] → [..., N], where W is block-sparse: `w` holds the
 * kept blocks packed as [nnz, bs, bs] in the layout's order. Equal to
 * tf.matMul(x, densify(w, layout)), at a cost proportional to the layout's
 * density. With transposeW, x [..., N] · Wᵀ → [..., K]. `w` may instead
 * hold int8 blocks (int32 [nnz, bs / 2, bs / 2] and options.scales, as
 * quantizeBlocks makes them): the kernels then read a quarter of the
 * bytes and widen them in registers; or float16 blocks (int32 [nnz, bs,
 * bs / 2], as toFloat16Blocks makes them): half the bytes.
 */
function blockSparseMatMul_(x: tf.Tensor, w: tf.Tensor, layout: BlockLayout, options: BlockSparseMatMulOptions = {}): tf.Tensor {
  const caller = 'blockSparseMatMul';
  checkLayout(layout, caller);
  const {scales} = options;
  // Checked as the kernels read them: float32 or float16 blocks, or int8 blocks with their scales.
  const int8 = checkBlocks(w, scales, layout, 0, BlockSparseMatMul, BlockSparseMatMulInt8, caller) === 'int8';
  checkFloatTensor(x, 'x', caller);
  const transposeW = options.transposeW === true;
  const [inSize, outSize] = transposeW ? [layout.outputSize, layout.inputSize] : [layout.inputSize, layout.outputSize];
  if (x.rank < 1 || x.shape[x.rank - 1] !== inSize) {
    throw new Error(
        `${caller}: x must be [..., ${inSize}] to match the layout's ` +
        `${transposeW ? 'output' : 'input'} size (${layout.rowBlocks}x` +
        `${layout.colBlocks} blocks of ${layout.blockSize}), got [${x.shape}]`);
  }
  const epilogue = fusedEpilogue(options, outSize, caller);
  const outer = x.shape.slice(0, -1);
  const rows = outer.reduce((a, b) => a * b, 1);
  // A 2-D x goes in as it is: a reshape is a tfjs call, which costs as much as a small product.
  const x2 = x.rank === 2 ? x : tf.reshape(x, [rows, inSize]);
  // x·(Q·diag(s))ᵀ = (x·diag(s))·Qᵀ: a transposed product scales x, and the kernel reads Q at scale 1.
  const [kernelName, inputs] = int8 && !transposeW ? [BlockSparseMatMulInt8, {x: x2, w, scales: scales!}] :
                                                     [BlockSparseMatMul, {x: int8 ? tf.mul(x2, scales!) : x2, w}];
  // With no kept block there is no product to fuse into: bias and activation run as ops of their own.
  const y = runProduct(kernelName, inputs, {layout, transposeW}, epilogue, layout.nnz > 0);
  return x.rank === 2 ? y : tf.reshape(y, [...outer, outSize]);
}

/**
 * The kept blocks of xᵀ · dy, packed [nnz, bs, bs]: the weight gradient of
 * blockSparseMatMul, never forming a dense [K, N] matrix. x is [..., K],
 * dy [..., N] with the same leading dims.
 */
function blockSparseMatMulGradW_(x: tf.Tensor, dy: tf.Tensor, layout: BlockLayout): tf.Tensor {
  const caller = 'blockSparseMatMulGradW';
  checkKernel(BlockSparseMatMulGradW, caller);
  checkLayout(layout, caller);
  checkFloatTensor(x, 'x', caller);
  checkFloatTensor(dy, 'dy', caller);
  const {inputSize, outputSize} = layout;
  const outer = x.shape.slice(0, -1);
  if (x.rank < 1 || x.shape[x.rank - 1] !== inputSize || dy.rank !== x.rank || dy.shape[dy.rank - 1] !== outputSize ||
      !outer.every((d, i) => d === dy.shape[i])) {
    throw new Error(
        `${caller}: x must be [..., ${inputSize}] and dy [..., ${outputSize}] ` +
        `with the same leading dims, got x [${x.shape}] and dy [${dy.shape}]`);
  }
  const rows = outer.reduce((a, b) => a * b, 1);
  const attrs: BlockSparseMatMulGradWAttrs = {layout};
  return tf.engine().runKernel(
             BlockSparseMatMulGradW, {x: tf.reshape(x, [rows, inputSize]), dy: tf.reshape(dy, [rows, outputSize])}, asAttrs(attrs)) as
      tf.Tensor;
}

export const blockSparseMatMul = tf.op({blockSparseMatMul_});
export const blockSparseMatMulGradW = tf.op({blockSparseMatMulGradW_});
