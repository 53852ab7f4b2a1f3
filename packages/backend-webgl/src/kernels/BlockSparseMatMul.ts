import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {BlockSparseMatMul, BlockSparseMatMulAttrs, BlockSparseMatMulInputs} from '@tfjs-blocksparse/core';

import {BlockSparseProductPackedProgram, ONE_TAP} from '../block_sparse_product_gpu';

import {withWeightOperand} from './weight_textures';
import {checkSupported, layoutTableTexture, rowTexels, slopesAsVector, zeros} from './webgl_util';

/**
 * y = act(x·W + bias) (or with Wᵀ), W float32 blocks or int32 ones (float16
 * blocks, or int8 blocks at scale 1, as the gradients' transposed products
 * pass them); with `scales` (BlockSparseMatMulInt8), W's columns are scaled
 * first.
 */
export function blockSparseMatMul(
    args: {inputs: BlockSparseMatMulInputs&{scales?: TensorInfo}, backend: MathBackendWebGL, attrs: BlockSparseMatMulAttrs},
    kernelName = BlockSparseMatMul): TensorInfo {
  const {inputs: {x, w, bias, preluActivationWeights, scales}, backend, attrs} = args;
  const {layout, transposeW, activation, leakyreluAlpha} = attrs;
  checkSupported(layout, kernelName);
  const rows = x.shape[0];
  const outSize = transposeW ? layout.inputSize : layout.outputSize;
  if (layout.nnz === 0) {
    return zeros(backend, [rows, outSize]);
  }
  const segments = transposeW ? layout.rowBlocks : layout.colBlocks;
  const table = layoutTableTexture(backend, layout, transposeW ? 'byRow' : 'byColumn');
  return withWeightOperand(backend, w, layout.blockSize, kernelName, weight => {
    const program = new BlockSparseProductPackedProgram(
        [rows, outSize], layout.blockSize, transposeW, ONE_TAP, weight, rowTexels(backend, x),
        {scales: scales != null, bias: bias != null, activation, leakyreluAlpha});
    return backend.runWebGLProgram(
        program, program.inputs(x, weight.w, table, {scales, bias, preluActivationWeights: slopesAsVector(preluActivationWeights)}),
        'float32', [[segments + 1], [segments + 1 + layout.nnz]]);
  });
}

export const blockSparseMatMulConfig: KernelConfig = {
  kernelName: BlockSparseMatMul,
  backendName: 'webgl',
  kernelFunc: blockSparseMatMul as unknown as KernelFunc
};
