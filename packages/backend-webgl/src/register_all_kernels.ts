import {registerKernel, version_core} from '@tensorflow/tfjs-core';
import {backend_util} from '@tfjs-blocksparse/core';

import {blockSparseConv2DConfig} from './kernels/BlockSparseConv2D';
import {blockSparseConv2DBackpropFilterConfig} from './kernels/BlockSparseConv2DBackpropFilter';
import {blockSparseConv2DBackpropInputConfig} from './kernels/BlockSparseConv2DBackpropInput';
import {blockSparseMatMulConfig} from './kernels/BlockSparseMatMul';
import {blockSparseMatMulGradWConfig} from './kernels/BlockSparseMatMulGradW';
import {lstmGatesConfig} from './kernels/LSTMGates';

export const kernelConfigs = [
  blockSparseMatMulConfig, blockSparseMatMulGradWConfig, blockSparseConv2DConfig, blockSparseConv2DBackpropInputConfig,
  blockSparseConv2DBackpropFilterConfig, lstmGatesConfig
];

backend_util.checkTfjsVersion('@tfjs-blocksparse/backend-webgl', '@tensorflow/tfjs-core', version_core);

for (const config of kernelConfigs) {
  registerKernel(config);
}
