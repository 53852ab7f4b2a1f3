import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {blockSparseConv2d} from '@tfjs-blocksparse/core';

import {BlockSparseKernelLayer, KernelDtypeArgs, KernelLayerInternals} from './block_sparse_kernel_layer';
import {BlockSparseLayoutArgs, singleShape} from './layer_layout';

type Conv2DArgs = Parameters<typeof tfl.layers.conv2d>[0];

export interface BlockSparseConv2DArgs extends Conv2DArgs, BlockSparseLayoutArgs, KernelDtypeArgs {}

interface ConvInternals extends KernelLayerInternals {
  kernelSize: [number, number];
  strides: [number, number];
  dilationRate: [number, number];
  padding: 'valid'|'same';
}

/**
 * tf.layers.conv2d whose filter is block-sparse over (input x output)
 * channel blocks, as OpenAI's BlocksparseConv: the filter is stored packed
 * [nnz, kh, kw, bs, bs] and applied with blockSparseConv2d. Arguments are
 * tf.layers.conv2d's (filters, kernelSize, strides, padding, dilationRate,
 * activation, useBias, initializers, regularizers, constraints;
 * channelsLast only) plus the block size and the layout.
 */
export class BlockSparseConv2D extends BlockSparseKernelLayer<BlockSparseConv2DArgs, ConvInternals> {
  static className = 'BlockSparseConv2D';
  readonly filters: number;

  constructor(args: BlockSparseConv2DArgs) {
    if (args.dataFormat != null && args.dataFormat !== 'channelsLast') {
      throw new Error(`${BlockSparseConv2D.className}: only dataFormat 'channelsLast' (NHWC) is supported, got '${args.dataFormat}'`);
    }
    super(args, BlockSparseConv2D.className, tfl.layers.conv2d, [
      'filters', 'kernelSize', 'strides', 'padding', 'dataFormat', 'dilationRate', 'activation', 'useBias', 'kernelInitializer',
      'biasInitializer', 'kernelRegularizer', 'biasRegularizer', 'activityRegularizer', 'kernelConstraint', 'biasConstraint'
    ]);
    this.filters = args.filters;
  }

  build(inputShape: tfl.Shape|tfl.Shape[]): void {
    const shape = singleShape(inputShape);
    const channels = shape[shape.length - 1];
    if (shape.length !== 4 || channels == null) {
      throw new Error(`${BlockSparseConv2D.className}: expected input [batch, h, w, channels] with known channels, got [${shape}]`);
    }
    this.addBlockSparseWeights(channels, this.filters, this.internals.kernelSize, BlockSparseConv2D.className);
    this.inputSpec = [{ndim: 4, axes: {[-1]: channels}}];
    this.built = true;
  }

  computeOutputShape(inputShape: tfl.Shape|tfl.Shape[]): tfl.Shape {
    return this.template.computeOutputShape(inputShape) as tfl.Shape;
  }

  call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const c = this.internals;
      return this.withEpilogue(
          epilogue => blockSparseConv2d(x, this.kernel!.read(), this.layout!, c.strides, c.padding, c.dilationRate, epilogue));
    });
  }
}

tf.serialization.registerClass(BlockSparseConv2D);

export function blockSparseConv2D(args: BlockSparseConv2DArgs): BlockSparseConv2D {
  return new BlockSparseConv2D(args);
}
