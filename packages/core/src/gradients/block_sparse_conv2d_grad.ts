import * as tf from '@tensorflow/tfjs-core';

import {asAttrs, BlockSparseConv2D, BlockSparseConv2DAttrs, BlockSparseConv2DBackpropFilter, BlockSparseConv2DBackpropFilterAttrs, BlockSparseConv2DBackpropInput, BlockSparseConv2DBackpropInputAttrs, BlockSparseConv2DInt8} from '../kernel_names';
import {blockSparseConv2d} from '../ops/block_sparse_conv2d';
import {checkKernel} from '../ops/checks';
import {activationGradient} from '../ops/fused_activation';

/**
 * y = act(conv(x, W) + bias): with g = dy·act'(y) (read from the saved
 * output), dx and dW of g each run in a kernel of their own touching kept
 * blocks only, and dbias is g summed over every pixel.
 */
export const blockSparseConv2DGradConfig: tf.GradConfig = {
  kernelName: BlockSparseConv2D,
  inputsToSave: ['x', 'w'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, w, y] = saved;
    const conv = attrs as unknown as BlockSparseConv2DAttrs;
    const {layout, strides, pad, dilations} = conv;
    const g = activationGradient(dy as tf.Tensor, y, conv);
    const inputAttrs:
        BlockSparseConv2DBackpropInputAttrs = {layout, strides, pad, dilations, inputShape: x.shape as [number, number, number, number]};
    const filterAttrs:
        BlockSparseConv2DBackpropFilterAttrs = {layout, strides, pad, dilations, filterSize: w.shape.slice(1, 3) as [number, number]};
    checkKernel(BlockSparseConv2DBackpropInput, 'blockSparseConv2d gradient');
    checkKernel(BlockSparseConv2DBackpropFilter, 'blockSparseConv2d gradient');
    // tfjs asks only for the gradients of the inputs a call had: bias's is unused without one.
    return {
      x: () => tf.engine().runKernel(BlockSparseConv2DBackpropInput, {dy: g, w}, asAttrs(inputAttrs)) as tf.Tensor,
      // Float16 blocks (int32 w) get zeros, as tfjs's own integer inputs do.
      w: () => w.dtype === 'int32' ? tf.zeros(w.shape) :
                                     tf.engine().runKernel(BlockSparseConv2DBackpropFilter, {x, dy: g}, asAttrs(filterAttrs)) as tf.Tensor,
      bias: () => tf.sum(g, [0, 1, 2])
    };
  }
};

/**
 * y = act(conv(x, Q·diag(s)) + bias): dx is the conv's transposed product
 * of g·diag(s) with the int8 blocks at scale 1 (BlockSparseConv2DBackpropInput
 * reads int32 blocks as such); ds sums g ⊙ conv(x, Q) over every pixel; the
 * integer blocks Q get zeros, as tfjs's own integer inputs do.
 */
export const blockSparseConv2DInt8GradConfig: tf.GradConfig = {
  kernelName: BlockSparseConv2DInt8,
  inputsToSave: ['x', 'w', 'scales'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, w, scales, y] = saved;
    const conv = attrs as unknown as BlockSparseConv2DAttrs;
    const {layout, strides, pad, dilations} = conv;
    const g = activationGradient(dy as tf.Tensor, y, conv);
    const inputAttrs:
        BlockSparseConv2DBackpropInputAttrs = {layout, strides, pad, dilations, inputShape: x.shape as [number, number, number, number]};
    checkKernel(BlockSparseConv2DBackpropInput, 'blockSparseConv2d gradient');
    return {
      x: () => tf.engine().runKernel(BlockSparseConv2DBackpropInput, {dy: tf.mul(g, scales), w}, asAttrs(inputAttrs)) as tf.Tensor,
      w: () => tf.zeros(w.shape),
      scales: () => tf.sum(
          tf.mul(g, blockSparseConv2d(x as tf.Tensor4D, w, layout, strides, pad, dilations, {scales: tf.onesLike(scales)})), [0, 1, 2]),
      bias: () => tf.sum(g, [0, 1, 2])
    };
  }
};
