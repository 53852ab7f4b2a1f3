import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {backend_util, BlockSparseMatMulGradW, BlockSparseMatMulGradWAttrs, BlockSparseMatMulGradWInputs} from '@tfjs-blocksparse/core';

import {BlockSparseMatMulGradWProgram} from '../block_sparse_weight_grad_webgpu';

import {checkBlockSize, zeros} from './webgpu_util';

export function blockSparseMatMulGradW(
    args: {inputs: BlockSparseMatMulGradWInputs, backend: WebGPUBackend, attrs: BlockSparseMatMulGradWAttrs}): TensorInfo {
  const {inputs: {x, dy}, backend, attrs: {layout}} = args;
  checkBlockSize(layout, BlockSparseMatMulGradW);
  const bs = layout.blockSize;
  const rows = x.shape[0];
  if (rows === 0) {
    return zeros(backend, [layout.nnz, bs, bs]);
  }
  const program = new BlockSparseMatMulGradWProgram([layout.nnz, bs, bs], layout.nnz, rows, bs);
  return backend.runWebGPUProgram(program, [x, dy, backend_util.layoutTable(backend, layout, 'coords')], 'float32', [
    {type: 'int32', data: [rows]}, {type: 'int32', data: [layout.nnz]}, {type: 'int32', data: [1]},
    {type: 'int32', data: [layout.inputSize]}, {type: 'int32', data: [layout.outputSize]}
  ]);
}

export const blockSparseMatMulGradWConfig: KernelConfig = {
  kernelName: BlockSparseMatMulGradW,
  backendName: 'webgpu',
  kernelFunc: blockSparseMatMulGradW as unknown as KernelFunc
};
