import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {backend_util, BlockSparseMatMul, BlockSparseMatMulAttrs, BlockSparseMatMulInputs} from '@tfjs-blocksparse/core';

import {BlockSparseMatMulProgram} from '../block_sparse_product_webgpu';

import {checkBlockSize, checkDispatch, zeros} from './webgpu_util';

export function blockSparseMatMul(args: {inputs: BlockSparseMatMulInputs, backend: WebGPUBackend, attrs: BlockSparseMatMulAttrs}):
    TensorInfo {
  const {inputs: {x, w, bias}, backend, attrs} = args;
  const {layout, transposeW, activation, leakyreluAlpha} = attrs;
  checkBlockSize(layout, BlockSparseMatMul);
  const [rows, inSize] = x.shape;
  const outSize = transposeW ? layout.inputSize : layout.outputSize;
  const segments = transposeW ? layout.rowBlocks : layout.colBlocks;
  if (layout.nnz === 0) {
    return zeros(backend, [rows, outSize]);
  }
  const program = new BlockSparseMatMulProgram(
      [rows, outSize], rows, segments, layout.blockSize, transposeW, {bias: bias != null, activation, leakyreluAlpha});
  checkDispatch(backend, program.dispatch, BlockSparseMatMul);
  const table = backend_util.layoutTable(backend, layout, transposeW ? 'byRow' : 'byColumn');
  return backend.runWebGPUProgram(program, bias == null ? [x, w, table] : [x, w, table, bias], 'float32', [
    {type: 'int32', data: [rows]}, {type: 'int32', data: [segments]}, {type: 'int32', data: [layout.nnz]}, {type: 'int32', data: [1]},
    {type: 'int32', data: [outSize]}, {type: 'int32', data: [inSize]}
  ]);
}

export const blockSparseMatMulConfig: KernelConfig = {
  kernelName: BlockSparseMatMul,
  backendName: 'webgpu',
  kernelFunc: blockSparseMatMul as unknown as KernelFunc
};
