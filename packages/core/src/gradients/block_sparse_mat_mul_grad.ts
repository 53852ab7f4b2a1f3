import * as tf from '@tensorflow/tfjs-core';

import {BlockSparseMatMul, BlockSparseMatMulAttrs, BlockSparseMatMulGradW, BlockSparseMatMulGradWAttrs, BlockSparseMatMulInt8} from '../kernel_names';
import {blockFormatOf} from '../layout/float16';
import {blockSparseMatMul, blockSparseMatMulGradW} from '../ops/block_sparse_mat_mul';
import {activationGradient} from '../ops/fused_activation';

/**
 * y = act(x·W + bias): with g = dy·act'(y) (read from the saved output; dy
 * itself for 'linear'), dx = g·Wᵀ (the transposed
 * product over the same packed blocks), dW = the kept blocks of xᵀ·g and
 * dbias = g summed over rows. For y = x·Wᵀ the roles of x and g in dW swap.
 */
export const blockSparseMatMulGradConfig: tf.GradConfig = {
  kernelName: BlockSparseMatMul,
  inputsToSave: ['x', 'w'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, w, y] = saved;
    const matMul = attrs as unknown as BlockSparseMatMulAttrs;
    const {layout, transposeW} = matMul;
    const g = activationGradient(dy as tf.Tensor, y, matMul);
    // int32 w: float16 blocks, or int8 blocks at scale 1 in the transposed product of int8 blocks (their scales went into x).
    const format = blockFormatOf(w, layout.blockSize);
    const int8 = format === 'int8';
    // tfjs asks only for the gradients of the inputs a call had: bias's is unused without one.
    return {
      x: () => blockSparseMatMul(g, w, layout, {transposeW: !transposeW, ...(int8 && {scales: tf.ones([layout.outputSize])})}),
      // Integer inputs get zeros, as tfjs's own integer inputs (OneHot's indices) do.
      w: () => format !== 'float32' ? tf.zeros(w.shape) :
          transposeW                ? blockSparseMatMulGradW(g, x, layout) :
                                      blockSparseMatMulGradW(x, g, layout),
      bias: () => tf.sum(g, 0)
    };
  }
};

/**
 * y = act(x·(Q·diag(s)) + bias): dx = g·(Q·diag(s))ᵀ, the op's transposed
 * product of the same int8 blocks; ds = the column sums of g ⊙ x·Q; the
 * integer blocks Q get zeros.
 */
export const blockSparseMatMulInt8GradConfig: tf.GradConfig = {
  kernelName: BlockSparseMatMulInt8,
  inputsToSave: ['x', 'w', 'scales'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, w, scales, y] = saved;
    const matMul = attrs as unknown as BlockSparseMatMulAttrs;
    const {layout} = matMul;
    const g = activationGradient(dy as tf.Tensor, y, matMul);
    return {
      x: () => blockSparseMatMul(g, w, layout, {transposeW: true, scales}),
      w: () => tf.zeros(w.shape),
      scales: () => tf.sum(tf.mul(g, blockSparseMatMul(x, w, layout, {scales: tf.onesLike(scales)})), 0),
      bias: () => tf.sum(g, 0)
    };
  }
};

/** dW[i] = x[:, row i]ᵀ · dy[:, col i] is bilinear in x and dy. */
export const blockSparseMatMulGradWGradConfig: tf.GradConfig = {
  kernelName: BlockSparseMatMulGradW,
  inputsToSave: ['x', 'dy'],
  gradFunc: (dw, saved, attrs) => {
    const [x, dy] = saved;
    const {layout} = attrs as unknown as BlockSparseMatMulGradWAttrs;
    const g = dw as tf.Tensor;
    return {x: () => blockSparseMatMul(dy, g, layout, {transposeW: true}), dy: () => blockSparseMatMul(x, g, layout)};
  }
};
