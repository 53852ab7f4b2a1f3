import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {backend_util, BlockSparseMatMul, BlockSparseMatMulAttrs, BlockSparseMatMulInputs} from '@tfjs-blocksparse/core';

import {BlockSparseMatMulProgram} from '../block_sparse_product_webgpu';

import {checkBlockSize, checkDispatch, softwareAdapter, zeros} from './webgpu_util';

/**
 * y = act(x·W + bias) (or with Wᵀ), W float32 blocks or int32 ones (float16
 * blocks, or int8 blocks at scale 1, as the gradients' transposed products
 * pass them); with
 * `scales` (BlockSparseMatMulInt8), W's columns are scaled first.
 */
export function blockSparseMatMul(
    args: {inputs: BlockSparseMatMulInputs&{scales?: TensorInfo}, backend: WebGPUBackend, attrs: BlockSparseMatMulAttrs},
    kernelName = BlockSparseMatMul): TensorInfo {
  const {inputs: {x, w, bias, preluActivationWeights, scales}, backend, attrs} = args;
  const {layout, transposeW, activation, leakyreluAlpha} = attrs;
  checkBlockSize(layout, kernelName);
  const [rows, inSize] = x.shape;
  const outSize = transposeW ? layout.inputSize : layout.outputSize;
  const segments = transposeW ? layout.rowBlocks : layout.colBlocks;
  if (layout.nnz === 0) {
    return zeros(backend, [rows, outSize]);
  }
  const program = new BlockSparseMatMulProgram(
      [rows, outSize], rows, segments, layout.nnz / segments, softwareAdapter(backend), layout.blockSize, transposeW,
      {scales: scales != null, bias: bias != null, activation, leakyreluAlpha}, backend_util.blockFormatOf(w, layout.blockSize));
  checkDispatch(backend, program.dispatch, kernelName);
  const table = backend_util.layoutTable(backend, layout, transposeW ? 'byRow' : 'byColumn');
  return backend.runWebGPUProgram(program, program.inputs(x, w, table, {scales, bias, preluActivationWeights}), 'float32', [
    {type: 'int32', data: [rows]}, {type: 'int32', data: [segments]}, {type: 'int32', data: [layout.nnz]}, {type: 'int32', data: [1]},
    {type: 'int32', data: [outSize]}, {type: 'int32', data: [inSize]}
  ]);
}

export const blockSparseMatMulConfig: KernelConfig = {
  kernelName: BlockSparseMatMul,
  backendName: 'webgpu',
  kernelFunc: blockSparseMatMul as unknown as KernelFunc
};
