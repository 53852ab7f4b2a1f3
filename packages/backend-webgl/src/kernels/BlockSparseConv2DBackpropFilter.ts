import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {BlockSparseConv2DBackpropFilter, BlockSparseConv2DBackpropFilterAttrs, BlockSparseConv2DBackpropFilterInputs, conv2DInfo, layoutTable} from '@tfjs-blocksparse/core';

import {BlockSparseConv2DDerFilterProgram} from '../block_sparse_weight_grad_gpu';

import {zeros} from './webgl_util';

export function blockSparseConv2DBackpropFilter(args: {
  inputs: BlockSparseConv2DBackpropFilterInputs,
  backend: MathBackendWebGL,
  attrs: BlockSparseConv2DBackpropFilterAttrs
}): TensorInfo {
  const {inputs: {x, dy}, backend, attrs} = args;
  const {layout, filterSize: [kh, kw]} = attrs;
  const bs = layout.blockSize;
  if (layout.nnz === 0) {
    return zeros(backend, [0, kh, kw, bs, bs]);
  }
  const info = conv2DInfo(x.shape, kh, kw, attrs);
  const program = new BlockSparseConv2DDerFilterProgram(info, layout.nnz, bs);
  return backend.runWebGLProgram(
      program, [x, dy, layoutTable(backend, layout, 'coords')], 'float32', [[layout.nnz]]);
}

export const blockSparseConv2DBackpropFilterConfig: KernelConfig = {
  kernelName: BlockSparseConv2DBackpropFilter,
  backendName: 'webgl',
  kernelFunc: blockSparseConv2DBackpropFilter as unknown as KernelFunc
};
