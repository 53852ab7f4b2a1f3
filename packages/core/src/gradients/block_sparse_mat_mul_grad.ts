import * as tf from '@tensorflow/tfjs-core';

import {BlockSparseMatMul, BlockSparseMatMulAttrs, BlockSparseMatMulGradW, BlockSparseMatMulGradWAttrs} from '../kernel_names';
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
    // tfjs asks only for the gradients of the inputs a call had: bias's is unused without one.
    return {
      x: () => blockSparseMatMul(g, w, layout, {transposeW: !transposeW}),
      w: () => transposeW ? blockSparseMatMulGradW(g, x, layout) : blockSparseMatMulGradW(x, g, layout),
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
