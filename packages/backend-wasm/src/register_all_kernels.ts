import {getKernel, registerKernel, version_core} from '@tensorflow/tfjs-core';
import {backend_util} from '@tfjs-blocksparse/core';

import {blockSparseConv2DConfig} from './kernels/BlockSparseConv2D';
import {blockSparseConv2DBackpropFilterConfig} from './kernels/BlockSparseConv2DBackpropFilter';
import {blockSparseConv2DBackpropInputConfig} from './kernels/BlockSparseConv2DBackpropInput';
import {blockSparseConv2DInt8Config} from './kernels/BlockSparseConv2DInt8';
import {blockSparseMatMulConfig} from './kernels/BlockSparseMatMul';
import {blockSparseMatMulGradWConfig} from './kernels/BlockSparseMatMulGradW';
import {blockSparseMatMulInt8Config} from './kernels/BlockSparseMatMulInt8';
import {conv2DBackpropFilterConfig} from './kernels/Conv2DBackpropFilter';
import {depthwiseConv2dNativeBackpropFilterConfig} from './kernels/DepthwiseConv2dNativeBackpropFilter';
import {depthwiseConv2dNativeBackpropInputConfig} from './kernels/DepthwiseConv2dNativeBackpropInput';
import {lstmGatesConfig} from './kernels/LSTMGates';

export const kernelConfigs = [
  blockSparseMatMulConfig, blockSparseMatMulGradWConfig, blockSparseConv2DConfig, blockSparseConv2DBackpropInputConfig,
  blockSparseConv2DBackpropFilterConfig, blockSparseMatMulInt8Config, blockSparseConv2DInt8Config, lstmGatesConfig
];

/**
 * Gradients of dense convs that tfjs-backend-wasm 4.22 lacks and a converted
 * model's training (distillation) needs; registered only where it has none.
 */
export const denseGradientConfigs =
    [conv2DBackpropFilterConfig, depthwiseConv2dNativeBackpropInputConfig, depthwiseConv2dNativeBackpropFilterConfig];

backend_util.checkTfjsVersion('@tfjs-blocksparse/backend-wasm', '@tensorflow/tfjs-core', version_core);

for (const config of kernelConfigs) {
  registerKernel(config);
}
for (const config of denseGradientConfigs) {
  if (getKernel(config.kernelName, config.backendName) == null) {
    registerKernel(config);
  }
}
