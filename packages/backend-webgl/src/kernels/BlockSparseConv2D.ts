import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {BlockSparseConv2D, BlockSparseConv2DAttrs, BlockSparseConv2DInputs, conv2DInfo, layoutTable} from '@tfjs-blocksparse/core';

import {BlockSparseConv2DProgram} from '../block_sparse_product_gpu';

import {zeros} from './webgl_util';

export function blockSparseConv2D(args: {
  inputs: BlockSparseConv2DInputs,
  backend: MathBackendWebGL,
  attrs: BlockSparseConv2DAttrs
}): TensorInfo {
  const {inputs: {x, w}, backend, attrs} = args;
  const {layout} = attrs;
  const info = conv2DInfo(x.shape, w.shape[1], w.shape[2], attrs);
  const program = new BlockSparseConv2DProgram(info, layout.blockSize, layout.outputSize);
  if (layout.nnz === 0) {
    return zeros(backend, program.outputShape);
  }
  return backend.runWebGLProgram(
      program, [x, w, layoutTable(backend, layout, 'byColumn')], 'float32',
      [[layout.colBlocks + 1], [layout.colBlocks + 1 + layout.nnz]]);
}

export const blockSparseConv2DConfig: KernelConfig = {
  kernelName: BlockSparseConv2D,
  backendName: 'webgl',
  kernelFunc: blockSparseConv2D as unknown as KernelFunc
};
