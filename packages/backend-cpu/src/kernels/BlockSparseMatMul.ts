import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {BlockSparseMatMul, BlockSparseMatMulAttrs, BlockSparseMatMulInputs, BlockSparseMatMulInt8} from '@tfjs-blocksparse/core';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {activationOf, finishBlock, float32Values, packedWeight} from './cpu_util';

/**
 * y = x·W walks, for each output block column, only that column's kept
 * blocks; y = x·Wᵀ walks each input block row's kept blocks. A row of bs
 * outputs is accumulated locally and written once.
 */
export function blockSparseMatMul(
    args: {inputs: BlockSparseMatMulInputs&{scales?: TensorInfo}, backend: MathBackendCPU, attrs: BlockSparseMatMulAttrs}): TensorInfo {
  const {inputs: {x, w, bias, preluActivationWeights, scales}, backend, attrs} = args;
  const {layout, transposeW} = attrs;
  const activate = activationOf(attrs, preluActivationWeights == null ? null : float32Values(backend, preluActivationWeights));
  const xv = float32Values(backend, x);
  const {values: wv, rowStart, step} = packedWeight(backend, w, layout.blockSize);
  const biasValues = bias == null ? null : float32Values(backend, bias);
  const scaleValues = scales == null ? null : float32Values(backend, scales);
  const [rows, inSize] = x.shape;
  const bs = layout.blockSize;
  const bs2 = bs * bs;
  const outSize = transposeW ? layout.inputSize : layout.outputSize;
  const out = new Float32Array(rows * outSize);
  const acc = new Float32Array(bs);
  const {ptr, block, other} = transposeW ? layout.byRow() : layout.byColumn();
  const segments = ptr.length - 1;
  for (let s = 0; s < segments; s++) {
    for (let m = 0; m < rows; m++) {
      acc.fill(0);
      for (let e = ptr[s]; e < ptr[s + 1]; e++) {
        const wBase = block[e] * bs2;
        const xBase = m * inSize + other[e] * bs;
        if (transposeW) {
          for (let i = 0; i < bs; i++) {
            const wRow = rowStart(wBase, i);
            let sum = 0;
            for (let j = 0, at = wRow; j < bs; j++, at += step) {
              sum += wv[at] * xv[xBase + j];
            }
            acc[i] += sum;
          }
        } else {
          for (let k = 0; k < bs; k++) {
            const xk = xv[xBase + k];
            const wRow = rowStart(wBase, k);
            for (let j = 0, at = wRow; j < bs; j++, at += step) {
              acc[j] += xk * wv[at];
            }
          }
        }
      }
      finishBlock(acc, scaleValues, biasValues, s * bs, activate);
      out.set(acc, m * outSize + s * bs);
    }
  }
  return backend.makeTensorInfo([rows, outSize], 'float32', out);
}

export const blockSparseMatMulConfig: KernelConfig = {
  kernelName: BlockSparseMatMul,
  backendName: 'cpu',
  kernelFunc: blockSparseMatMul as unknown as KernelFunc
};

/** int8 blocks (w int32) with their scales: the same loops, reading int8 values. */
export const blockSparseMatMulInt8Config: KernelConfig = {
  kernelName: BlockSparseMatMulInt8,
  backendName: 'cpu',
  kernelFunc: blockSparseMatMul as unknown as KernelFunc
};
