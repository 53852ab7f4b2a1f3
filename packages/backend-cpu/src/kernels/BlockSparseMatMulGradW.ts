import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {BlockSparseMatMulGradW, BlockSparseMatMulGradWAttrs, BlockSparseMatMulGradWInputs} from '@tfjs-blocksparse/core';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {float32Values} from './cpu_util';

/** dW[i] = x[:, row i]ᵀ · dy[:, col i] for the kept blocks only. */
export function blockSparseMatMulGradW(
    args: {inputs: BlockSparseMatMulGradWInputs, backend: MathBackendCPU, attrs: BlockSparseMatMulGradWAttrs}): TensorInfo {
  const {inputs: {x, dy}, backend, attrs: {layout}} = args;
  const xv = float32Values(backend, x);
  const dyv = float32Values(backend, dy);
  const rows = x.shape[0];
  const {blockSize: bs, inputSize: K, outputSize: N, nnz} = layout;
  const bs2 = bs * bs;
  const dw = new Float32Array(nnz * bs2);
  for (let i = 0; i < nnz; i++) {
    const xCol = layout.rows[i] * bs;
    const dyCol = layout.cols[i] * bs;
    for (let m = 0; m < rows; m++) {
      const xBase = m * K + xCol;
      const dyBase = m * N + dyCol;
      for (let k = 0; k < bs; k++) {
        const xk = xv[xBase + k];
        const dwRow = i * bs2 + k * bs;
        for (let j = 0; j < bs; j++) {
          dw[dwRow + j] += xk * dyv[dyBase + j];
        }
      }
    }
  }
  return backend.makeTensorInfo([nnz, bs, bs], 'float32', dw);
}

export const blockSparseMatMulGradWConfig: KernelConfig = {
  kernelName: BlockSparseMatMulGradW,
  backendName: 'cpu',
  kernelFunc: blockSparseMatMulGradW as unknown as KernelFunc
};
