import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {BlockSparseMatMulAttrs, BlockSparseMatMulInt8, BlockSparseMatMulInt8Inputs} from '@tfjs-blocksparse/core';

import {blockSparseMatMul} from './BlockSparseMatMul';

/** y = act(x·(Q·diag(scales)) + bias): the product's program reading int8 blocks Q, scaled before the bias. */
export function blockSparseMatMulInt8(
    args: {inputs: BlockSparseMatMulInt8Inputs, backend: MathBackendWebGL, attrs: BlockSparseMatMulAttrs}): TensorInfo {
  return blockSparseMatMul(args, BlockSparseMatMulInt8);
}

export const blockSparseMatMulInt8Config: KernelConfig = {
  kernelName: BlockSparseMatMulInt8,
  backendName: 'webgl',
  kernelFunc: blockSparseMatMulInt8 as unknown as KernelFunc
};
