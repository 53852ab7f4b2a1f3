import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import {getKernel} from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {backend_util, BlockSparseConv2D, BlockSparseConv2DAttrs, BlockSparseConv2DInputs} from '@tfjs-blocksparse/core';

import {BlockSparseProductPackedProgram} from '../block_sparse_product_gpu';
import {ImagePatchesPackedProgram, patchesShape} from '../image_patches_gpu';

import {withWeightOperand} from './weight_textures';
import {checkSupported, filterByTap, layoutTableTexture, rowTexels, slopesAsVector, view, zeros} from './webgl_util';

/**
 * The patches of x times the block-sparse filter, tap by tap (as tfjs's webgl
 * conv2d does with im2col and matmul). A 1x1 filter at stride 1 without
 * padding has x's pixels for patches: x itself, viewed in the patches' shape
 * (a free reshape of a packed NHWC texture, as in tfjs's conv2dByMatMul), not
 * a copy of it per call. Int8 blocks' scales (BlockSparseConv2DInt8), bias
 * and activation are applied before the store.
 */
export function blockSparseConv2D(
    args: {inputs: BlockSparseConv2DInputs&{scales?: TensorInfo}, backend: MathBackendWebGL, attrs: BlockSparseConv2DAttrs},
    kernelName = BlockSparseConv2D): TensorInfo {
  const {inputs: {x, w, bias, preluActivationWeights, scales}, backend, attrs} = args;
  const {layout, activation, leakyreluAlpha} = attrs;
  checkSupported(layout, kernelName);
  const [, kh, kw] = w.shape;
  const info = backend_util.conv2DInfo(x.shape, kh, kw, attrs);
  const outShape = [info.batchSize, info.outHeight, info.outWidth, layout.outputSize];
  if (layout.nnz === 0) {
    return zeros(backend, outShape);
  }
  const shape = patchesShape(info);
  const [rows, cols] = shape;
  const {top, bottom, left, right} = info.padInfo;
  const pointwise = kh === 1 && kw === 1 && info.strideHeight === 1 && info.strideWidth === 1 && top + bottom + left + right === 0;
  const patches = pointwise ? getKernel('Reshape', 'webgl')!.kernelFunc({inputs: {x}, backend, attrs: {shape}}) as TensorInfo :
                              backend.runWebGLProgram(new ImagePatchesPackedProgram(info), [x], 'float32');
  const table = layoutTableTexture(backend, layout, 'byColumn');
  try {
    const y = withWeightOperand(backend, w, layout.blockSize, kernelName, weight => {
      const program = new BlockSparseProductPackedProgram(
          [rows, cols, layout.outputSize], layout.blockSize, false, {count: kh * kw, channels: info.inChannels}, weight,
          rowTexels(backend, patches), {scales: scales != null, bias: bias != null, activation, leakyreluAlpha});
      return backend.runWebGLProgram(
          program,
          program.inputs(
              patches, filterByTap(weight.w), table, {scales, bias, preluActivationWeights: slopesAsVector(preluActivationWeights)}),
          'float32', [[layout.colBlocks + 1], [layout.colBlocks + 1 + layout.nnz]]);
    });
    return view(y, outShape);
  } finally {
    backend.disposeIntermediateTensorInfo(patches);
  }
}

export const blockSparseConv2DConfig: KernelConfig = {
  kernelName: BlockSparseConv2D,
  backendName: 'webgl',
  kernelFunc: blockSparseConv2D as unknown as KernelFunc
};
