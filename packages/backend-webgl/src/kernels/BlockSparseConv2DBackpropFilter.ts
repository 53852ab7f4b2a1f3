import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {backend_util, BlockSparseConv2DBackpropFilter, BlockSparseConv2DBackpropFilterAttrs, BlockSparseConv2DBackpropFilterInputs} from '@tfjs-blocksparse/core';

import {BlockSparseWeightGradPackedProgram} from '../block_sparse_weight_grad_gpu';
import {ImagePatchesPackedProgram, patchesShape} from '../image_patches_gpu';

import {checkSupported, layoutTableTexture, view, zeros} from './webgl_util';

/** dW of the kept blocks, tap by tap: the patches of x against dy, as for a matmul. */
export function blockSparseConv2DBackpropFilter(
    args: {inputs: BlockSparseConv2DBackpropFilterInputs, backend: MathBackendWebGL, attrs: BlockSparseConv2DBackpropFilterAttrs}):
    TensorInfo {
  const {inputs: {x, dy}, backend, attrs} = args;
  const {layout, filterSize: [kh, kw]} = attrs;
  const bs = layout.blockSize;
  checkSupported(layout, BlockSparseConv2DBackpropFilter);
  const filterShape = [layout.nnz, kh, kw, bs, bs];
  const info = backend_util.conv2DInfo(x.shape, kh, kw, attrs);
  if (layout.nnz === 0 || info.batchSize * info.outHeight * info.outWidth === 0) {
    return zeros(backend, filterShape);
  }
  const patches = backend.runWebGLProgram(new ImagePatchesPackedProgram(info), [x], 'float32');
  const [rows, cols] = patchesShape(info);
  const program = new BlockSparseWeightGradPackedProgram(layout.nnz, bs, [rows, cols], {count: kh * kw, channels: info.inChannels});
  const dw = backend.runWebGLProgram(
      program, [patches, view(dy, [rows, cols, layout.outputSize]), layoutTableTexture(backend, layout, 'coords')], 'float32',
      [[layout.nnz]]);
  backend.disposeIntermediateTensorInfo(patches);
  return view(dw, filterShape);
}

export const blockSparseConv2DBackpropFilterConfig: KernelConfig = {
  kernelName: BlockSparseConv2DBackpropFilter,
  backendName: 'webgl',
  kernelFunc: blockSparseConv2DBackpropFilter as unknown as KernelFunc
};
