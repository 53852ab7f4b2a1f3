import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {BlockSparseMatMul, BlockSparseMatMulAttrs, BlockSparseMatMulInputs} from '@tfjs-blocksparse/core';

import {BlockSparseProductPackedProgram, ONE_TAP} from '../block_sparse_product_gpu';

import {checkEvenBlockSize, checkFloatBlocks, layoutTableTexture, packedTexels, packInPlace, slopesAsVector, zeros} from './webgl_util';

export function blockSparseMatMul(args: {inputs: BlockSparseMatMulInputs, backend: MathBackendWebGL, attrs: BlockSparseMatMulAttrs}):
    TensorInfo {
  const {inputs: {x, w, bias, preluActivationWeights}, backend, attrs} = args;
  const {layout, transposeW, activation, leakyreluAlpha} = attrs;
  checkEvenBlockSize(layout, BlockSparseMatMul);
  checkFloatBlocks(w, BlockSparseMatMul);
  const rows = x.shape[0];
  const outSize = transposeW ? layout.inputSize : layout.outputSize;
  if (layout.nnz === 0) {
    return zeros(backend, [rows, outSize]);
  }
  const segments = transposeW ? layout.rowBlocks : layout.colBlocks;
  const program = new BlockSparseProductPackedProgram(
      [rows, outSize], layout.blockSize, transposeW, ONE_TAP, packedTexels(backend, packInPlace(backend, w)),
      {bias: bias != null, activation, leakyreluAlpha});
  const table = layoutTableTexture(backend, layout, transposeW ? 'byRow' : 'byColumn');
  return backend.runWebGLProgram(
      program, program.inputs(x, w, table, {bias, preluActivationWeights: slopesAsVector(preluActivationWeights)}), 'float32',
      [[segments + 1], [segments + 1 + layout.nnz]]);
}

export const blockSparseMatMulConfig: KernelConfig = {
  kernelName: BlockSparseMatMul,
  backendName: 'webgl',
  kernelFunc: blockSparseMatMul as unknown as KernelFunc
};
