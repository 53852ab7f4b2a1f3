import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {BlockSparseConv2D, BlockSparseConv2DAttrs, BlockSparseConv2DInputs, conv2DInfo, layoutTable} from '@tfjs-blocksparse/core';

import {BlockSparseProductPackedProgram} from '../block_sparse_product_gpu';
import {ImagePatchesPackedProgram, patchesShape} from '../image_patches_gpu';

import {checkEvenBlockSize, filterByTap, packedTexels, packInPlace, view, zeros} from './webgl_util';

/** The patches of x times the block-sparse filter, tap by tap (as tfjs's webgl conv2d does with im2col and matmul). */
export function blockSparseConv2D(args: {
  inputs: BlockSparseConv2DInputs,
  backend: MathBackendWebGL,
  attrs: BlockSparseConv2DAttrs
}): TensorInfo {
  const {inputs: {x, w}, backend, attrs} = args;
  const {layout} = attrs;
  checkEvenBlockSize(layout, BlockSparseConv2D);
  const [, kh, kw, bs] = w.shape;
  const info = conv2DInfo(x.shape, kh, kw, attrs);
  const outShape = [info.batchSize, info.outHeight, info.outWidth, layout.outputSize];
  if (layout.nnz === 0) {
    return zeros(backend, outShape);
  }
  const patches = backend.runWebGLProgram(new ImagePatchesPackedProgram(info), [x], 'float32');
  const [rows, cols] = patchesShape(info);
  const program = new BlockSparseProductPackedProgram(
      [rows, cols, layout.outputSize], bs, false, {count: kh * kw, channels: info.inChannels},
      packedTexels(backend, packInPlace(backend, w)));
  const y = backend.runWebGLProgram(
      program, [patches, filterByTap(w), layoutTable(backend, layout, 'byColumn')], 'float32',
      [[layout.colBlocks + 1], [layout.colBlocks + 1 + layout.nnz]]);
  backend.disposeIntermediateTensorInfo(patches);
  return view(y, outShape);
}

export const blockSparseConv2DConfig: KernelConfig = {
  kernelName: BlockSparseConv2D,
  backendName: 'webgl',
  kernelFunc: blockSparseConv2D as unknown as KernelFunc
};
