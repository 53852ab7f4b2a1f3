import * as tf from '@tensorflow/tfjs-core';

import {BlockSparseMatMul, BlockSparseMatMulAttrs, BlockSparseMatMulGradW, BlockSparseMatMulGradWAttrs} from '../kernel_names';
import {blockSparseMatMul, blockSparseMatMulGradW} from '../ops/block_sparse_mat_mul';

/**
 * y = x·W: dx = dy·Wᵀ (the transposed product over the same packed blocks)
 * and dW = the kept blocks of xᵀ·dy. For y = x·Wᵀ the roles of x and dy in
 * dW swap.
 */
export const blockSparseMatMulGradConfig: tf.GradConfig = {
  kernelName: BlockSparseMatMul,
  inputsToSave: ['x', 'w'],
  gradFunc: (dy, saved, attrs) => {
    const [x, w] = saved;
    const {layout, transposeW} = attrs as unknown as BlockSparseMatMulAttrs;
    const g = dy as tf.Tensor;
    return {
      x: () => blockSparseMatMul(g, w, layout, {transposeW: !transposeW}),
      w: () => transposeW ? blockSparseMatMulGradW(g, x, layout) :
                            blockSparseMatMulGradW(x, g, layout)
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
    return {
      x: () => blockSparseMatMul(dy, g, layout, {transposeW: true}),
      dy: () => blockSparseMatMul(x, g, layout)
    };
  }
};
