import * as tf from '@tensorflow/tfjs-core';

import {asAttrs, BlockSparseConv2D, BlockSparseConv2DAttrs, BlockSparseConv2DBackpropFilter, BlockSparseConv2DBackpropFilterAttrs, BlockSparseConv2DBackpropInput, BlockSparseConv2DBackpropInputAttrs} from '../kernel_names';
import {checkKernel} from '../ops/checks';

/** dx and dW of the block-sparse conv, each its own kernel touching kept blocks only. */
export const blockSparseConv2DGradConfig: tf.GradConfig = {
  kernelName: BlockSparseConv2D,
  inputsToSave: ['x', 'w'],
  gradFunc: (dy, saved, attrs) => {
    const [x, w] = saved;
    const conv = attrs as unknown as BlockSparseConv2DAttrs;
    const inputAttrs: BlockSparseConv2DBackpropInputAttrs = {
      ...conv,
      inputShape: x.shape as [number, number, number, number]
    };
    const filterAttrs: BlockSparseConv2DBackpropFilterAttrs = {
      ...conv,
      filterSize: w.shape.slice(1, 3) as [number, number]
    };
    checkKernel(BlockSparseConv2DBackpropInput, 'blockSparseConv2d gradient');
    checkKernel(BlockSparseConv2DBackpropFilter, 'blockSparseConv2d gradient');
    return {
      x: () => tf.engine().runKernel(
               BlockSparseConv2DBackpropInput, {dy: dy as tf.Tensor, w},
               asAttrs(inputAttrs)) as tf.Tensor,
      w: () => tf.engine().runKernel(
               BlockSparseConv2DBackpropFilter, {x, dy: dy as tf.Tensor},
               asAttrs(filterAttrs)) as tf.Tensor
    };
  }
};
