import * as tf from '@tensorflow/tfjs-core';

import {blockSparseConv2DGradConfig} from './gradients/block_sparse_conv2d_grad';
import {blockSparseMatMulGradConfig, blockSparseMatMulGradWGradConfig} from './gradients/block_sparse_mat_mul_grad';

for (const config of [blockSparseMatMulGradConfig, blockSparseMatMulGradWGradConfig, blockSparseConv2DGradConfig]) {
  tf.registerGradient(config);
}
