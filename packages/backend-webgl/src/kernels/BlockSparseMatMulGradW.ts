import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {BlockSparseMatMulGradW, BlockSparseMatMulGradWAttrs, BlockSparseMatMulGradWInputs} from '@tfjs-blocksparse/core';

import {ONE_TAP} from '../block_sparse_product_gpu';
import {BlockSparseWeightGradPackedProgram} from '../block_sparse_weight_grad_gpu';

import {checkSupported, layoutTableTexture, zeros} from './webgl_util';

export function blockSparseMatMulGradW(
    args: {inputs: BlockSparseMatMulGradWInputs, backend: MathBackendWebGL, attrs: BlockSparseMatMulGradWAttrs}): TensorInfo {
  const {inputs: {x, dy}, backend, attrs: {layout}} = args;
  const bs = layout.blockSize;
  checkSupported(layout, BlockSparseMatMulGradW);
  const rows = x.shape[0];
  if (layout.nnz === 0 || rows === 0) {
    return zeros(backend, [layout.nnz, bs, bs]);
  }
  const program = new BlockSparseWeightGradPackedProgram(layout.nnz, bs, [rows], ONE_TAP);
  return backend.runWebGLProgram(program, [x, dy, layoutTableTexture(backend, layout, 'coords')], 'float32', [[layout.nnz]]);
}

export const blockSparseMatMulGradWConfig: KernelConfig = {
  kernelName: BlockSparseMatMulGradW,
  backendName: 'webgl',
  kernelFunc: blockSparseMatMulGradW as unknown as KernelFunc
};
