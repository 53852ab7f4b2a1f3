import {registerKernel, version_core} from '@tensorflow/tfjs-core';
import {backend_util} from '@tfjs-blocksparse/core';

import {blockSparseConv2DConfig} from './kernels/BlockSparseConv2D';
import {blockSparseConv2DBackpropFilterConfig} from './kernels/BlockSparseConv2DBackpropFilter';
import {blockSparseConv2DBackpropInputConfig} from './kernels/BlockSparseConv2DBackpropInput';
import {blockSparseConv2DInt8Config} from './kernels/BlockSparseConv2DInt8';
import {blockSparseMatMulConfig} from './kernels/BlockSparseMatMul';
import {blockSparseMatMulGradWConfig} from './kernels/BlockSparseMatMulGradW';
import {blockSparseMatMulInt8Config} from './kernels/BlockSparseMatMulInt8';
import {lstmGatesConfig} from './kernels/LSTMGates';

export const kernelConfigs = [
  blockSparseMatMulConfig, blockSparseMatMulGradWConfig, blockSparseConv2DConfig, blockSparseConv2DBackpropInputConfig,
  blockSparseConv2DBackpropFilterConfig, blockSparseMatMulInt8Config, blockSparseConv2DInt8Config, lstmGatesConfig
];

backend_util.checkTfjsVersion('@tfjs-blocksparse/backend-webgl', '@tensorflow/tfjs-core', version_core);

for (const config of kernelConfigs) {
  registerKernel(config);
}
