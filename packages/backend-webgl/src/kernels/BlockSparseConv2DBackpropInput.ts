import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {backend_util, BlockSparseConv2DBackpropInput, BlockSparseConv2DBackpropInputAttrs, BlockSparseConv2DBackpropInputInputs} from '@tfjs-blocksparse/core';

import {BlockSparseProductPackedProgram} from '../block_sparse_product_gpu';
import {PatchesToImagePackedProgram, patchesShape} from '../image_patches_gpu';

import {withWeightOperand} from './weight_textures';
import {checkSupported, filterByTap, layoutTableTexture, rowTexels, view, zeros} from './webgl_util';

/**
 * dy times the transposed filter (float32 blocks, or int32: float16 blocks, or int8 ones at scale 1) gives the patches' gradient, summed
 * back onto the image.
 */
export function blockSparseConv2DBackpropInput(
    args: {inputs: BlockSparseConv2DBackpropInputInputs, backend: MathBackendWebGL, attrs: BlockSparseConv2DBackpropInputAttrs}):
    TensorInfo {
  const {inputs: {dy, w}, backend, attrs} = args;
  const {layout, inputShape} = attrs;
  checkSupported(layout, BlockSparseConv2DBackpropInput);
  if (layout.nnz === 0) {
    return zeros(backend, inputShape);
  }
  const [, kh, kw] = w.shape;
  const info = backend_util.conv2DInfo(inputShape, kh, kw, attrs);
  const [rows, cols, patchSize] = patchesShape(info);
  const dyRows = view(dy, [rows, cols, layout.outputSize]);
  const table = layoutTableTexture(backend, layout, 'byRow');
  const patchesGrad = withWeightOperand(backend, w, layout.blockSize, BlockSparseConv2DBackpropInput, weight => {
    const program = new BlockSparseProductPackedProgram(
        [rows, cols, patchSize], layout.blockSize, true, {count: kh * kw, channels: info.inChannels}, weight, rowTexels(backend, dyRows));
    return backend.runWebGLProgram(
        program, program.inputs(dyRows, filterByTap(weight.w), table), 'float32',
        [[layout.rowBlocks + 1], [layout.rowBlocks + 1 + layout.nnz]]);
  });
  const dx = backend.runWebGLProgram(new PatchesToImagePackedProgram(info), [patchesGrad], 'float32');
  backend.disposeIntermediateTensorInfo(patchesGrad);
  return dx;
}

export const blockSparseConv2DBackpropInputConfig: KernelConfig = {
  kernelName: BlockSparseConv2DBackpropInput,
  backendName: 'webgl',
  kernelFunc: blockSparseConv2DBackpropInput as unknown as KernelFunc
};
