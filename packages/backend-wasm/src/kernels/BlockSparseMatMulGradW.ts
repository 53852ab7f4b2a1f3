import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {BlockSparseMatMulGradW, BlockSparseMatMulGradWAttrs, BlockSparseMatMulGradWInputs} from '@tfjs-blocksparse/core';

import {runKernel} from './wasm_kernels';
import {checkBlockSize, coordinateTable, makeOutput, offsetOf} from './wasm_util';

/** dW[i] = x[:, row i]ᵀ · dy[:, col i] for the kept blocks only (zeros for an empty batch). */
export function blockSparseMatMulGradW(
    args: {inputs: BlockSparseMatMulGradWInputs, backend: BackendWasm, attrs: BlockSparseMatMulGradWAttrs}): TensorInfo {
  const {inputs: {x, dy}, backend, attrs: {layout}} = args;
  checkBlockSize(layout, BlockSparseMatMulGradW);
  const {blockSize: bs, inputSize, outputSize, nnz} = layout;
  const dw = makeOutput(backend, [nnz, bs, bs]);
  if (nnz === 0) {
    return dw;
  }
  const {rows, cols} = coordinateTable(backend, layout);
  runKernel(
      backend, 'gradW',
      [
        x.shape[0], 1, offsetOf(backend, x), inputSize, 0, 0, offsetOf(backend, dy), outputSize, rows, cols, nnz, bs, offsetOf(backend, dw),
        false
      ],
      nnz, x.shape[0] * nnz * bs * bs);
  return dw;
}

export const blockSparseMatMulGradWConfig: KernelConfig = {
  kernelName: BlockSparseMatMulGradW,
  backendName: 'wasm',
  kernelFunc: blockSparseMatMulGradW as unknown as KernelFunc
};
