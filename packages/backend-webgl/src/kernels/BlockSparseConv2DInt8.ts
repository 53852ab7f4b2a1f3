import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {BlockSparseConv2DAttrs, BlockSparseConv2DInt8, BlockSparseConv2DInt8Inputs} from '@tfjs-blocksparse/core';

import {blockSparseConv2D} from './BlockSparseConv2D';

/** The conv's program reading int8 blocks, output channels scaled before the bias. */
export function blockSparseConv2DInt8(
    args: {inputs: BlockSparseConv2DInt8Inputs, backend: MathBackendWebGL, attrs: BlockSparseConv2DAttrs}): TensorInfo {
  return blockSparseConv2D(args, BlockSparseConv2DInt8);
}

export const blockSparseConv2DInt8Config: KernelConfig = {
  kernelName: BlockSparseConv2DInt8,
  backendName: 'webgl',
  kernelFunc: blockSparseConv2DInt8 as unknown as KernelFunc
};
