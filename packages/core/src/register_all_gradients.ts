import * as tf from '@tensorflow/tfjs-core';

import {blockSparseConv2DGradConfig, blockSparseConv2DInt8GradConfig} from './gradients/block_sparse_conv2d_grad';
import {blockSparseMatMulGradConfig, blockSparseMatMulGradWGradConfig, blockSparseMatMulInt8GradConfig} from './gradients/block_sparse_mat_mul_grad';
import {lstmGatesGradConfig} from './gradients/lstm_gates_grad';

for (const config
         of [blockSparseMatMulGradConfig, blockSparseMatMulGradWGradConfig, blockSparseMatMulInt8GradConfig, blockSparseConv2DGradConfig,
             blockSparseConv2DInt8GradConfig, lstmGatesGradConfig]) {
  tf.registerGradient(config);
}
