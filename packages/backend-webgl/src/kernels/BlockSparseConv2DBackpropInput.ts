import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {BlockSparseConv2DBackpropInput, BlockSparseConv2DBackpropInputAttrs, BlockSparseConv2DBackpropInputInputs, conv2DInfo, layoutTable} from '@tfjs-blocksparse/core';

import {BlockSparseConv2DDerInputProgram} from '../block_sparse_product_gpu';

import {zeros} from './webgl_util';

export function blockSparseConv2DBackpropInput(args: {
  inputs: BlockSparseConv2DBackpropInputInputs,
  backend: MathBackendWebGL,
  attrs: BlockSparseConv2DBackpropInputAttrs
}): TensorInfo {
  const {inputs: {dy, w}, backend, attrs} = args;
  const {layout, inputShape} = attrs;
  if (layout.nnz === 0) {
    return zeros(backend, inputShape);
  }
  const info = conv2DInfo(inputShape, w.shape[1], w.shape[2], attrs);
  const program = new BlockSparseConv2DDerInputProgram(info, layout.blockSize, layout.inputSize);
  return backend.runWebGLProgram(
      program, [dy, w, layoutTable(backend, layout, 'byRow')], 'float32',
      [[layout.rowBlocks + 1], [layout.rowBlocks + 1 + layout.nnz]]);
}

export const blockSparseConv2DBackpropInputConfig: KernelConfig = {
  kernelName: BlockSparseConv2DBackpropInput,
  backendName: 'webgl',
  kernelFunc: blockSparseConv2DBackpropInput as unknown as KernelFunc
};
