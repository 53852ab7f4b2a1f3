import * as tf from '@tensorflow/tfjs-core';

import {BlockLayout} from './layout/block_layout';
import {densify, sparsify} from './layout/packing';
import {blockSparseMatMul, blockSparseMatMulGradW, BlockSparseMatMulOptions} from './ops/block_sparse_mat_mul';

/**
 * A block-sparse matmul bound to one layout, in the manner of OpenAI's
 * BlocksparseMatMul: the object holds the layout (and so its lookup tables),
 * while weights live outside it, so several weights can share a layout.
 */
export class BlockSparseMatMulOp {
  constructor(readonly layout: BlockLayout) {
    if (!(layout instanceof BlockLayout)) {
      throw new Error('BlockSparseMatMulOp: expected a BlockLayout');
    }
  }

  /** Shape of the packed weight: [nnz, bs, bs]. */
  get wShape(): [number, number, number] {
    return [this.layout.nnz, this.layout.blockSize, this.layout.blockSize];
  }

  apply(x: tf.Tensor, w: tf.Tensor, options?: BlockSparseMatMulOptions): tf.Tensor {
    return blockSparseMatMul(x, w, this.layout, options);
  }

  gradW(x: tf.Tensor, dy: tf.Tensor): tf.Tensor {
    return blockSparseMatMulGradW(x, dy, this.layout);
  }

  densify(w: tf.Tensor): tf.Tensor {
    return densify(w, this.layout);
  }

  sparsify(dense: tf.Tensor): tf.Tensor {
    return sparsify(dense, this.layout);
  }
}
