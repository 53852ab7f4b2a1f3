import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {BlockLayout, blockSparseConv2d} from '@tfjs-blocksparse/core';

import {Activation, BlockSparseLayoutArgs, checkLayoutArgs, Constraint, Initializer, layoutConfig, mirroredConfig, PackedInitializer, Regularizer, resolveLayout, singleShape} from './layer_layout';

type Conv2DArgs = Parameters<typeof tfl.layers.conv2d>[0];

export interface BlockSparseConv2DArgs extends Conv2DArgs, BlockSparseLayoutArgs {}

interface ConvInternals {
  kernelSize: [number, number];
  strides: [number, number];
  dilationRate: [number, number];
  padding: 'valid'|'same';
  activation: Activation;
  kernelInitializer: Initializer;
  biasInitializer: Initializer;
  kernelRegularizer?: Regularizer;
  biasRegularizer?: Regularizer;
  kernelConstraint?: Constraint;
  biasConstraint?: Constraint;
  activityRegularizer: tfl.layers.Layer['activityRegularizer'];
}

/**
 * tf.layers.conv2d whose filter is block-sparse over (input x output)
 * channel blocks, as OpenAI's BlocksparseConv: the filter is stored packed
 * [nnz, kh, kw, bs, bs] and applied with blockSparseConv2d. Arguments are
 * tf.layers.conv2d's (filters, kernelSize, strides, padding, dilationRate,
 * activation, useBias, initializers, regularizers, constraints;
 * channelsLast only) plus the block size and the layout.
 */
export class BlockSparseConv2D extends tfl.layers.Layer {
  static className = 'BlockSparseConv2D';
  readonly filters: number;
  readonly useBias: boolean;
  layout?: BlockLayout;
  private readonly template: tfl.layers.Layer;
  private kernel?: tfl.LayerVariable;
  private bias?: tfl.LayerVariable;

  constructor(private readonly args: BlockSparseConv2DArgs) {
    super(args);
    checkLayoutArgs(args, BlockSparseConv2D.className);
    if (args.dataFormat != null && args.dataFormat !== 'channelsLast') {
      throw new Error(`${BlockSparseConv2D.className}: only dataFormat 'channelsLast' (NHWC) is supported, got '${args.dataFormat}'`);
    }
    this.template = tfl.layers.conv2d({...args, name: undefined, inputShape: undefined, batchInputShape: undefined});
    this.filters = args.filters;
    this.useBias = args.useBias ?? true;
    this.activityRegularizer = this.internals.activityRegularizer;
  }

  private get internals(): ConvInternals {
    return this.template as unknown as ConvInternals;
  }

  build(inputShape: tfl.Shape|tfl.Shape[]): void {
    const shape = singleShape(inputShape);
    const channels = shape[shape.length - 1];
    if (shape.length !== 4 || channels == null) {
      throw new Error(`${BlockSparseConv2D.className}: expected input [batch, h, w, channels] with known channels, got [${shape}]`);
    }
    const layout = resolveLayout(this.args, channels, this.filters, BlockSparseConv2D.className);
    this.layout = layout;
    const c = this.internals;
    const [kh, kw] = c.kernelSize;
    this.kernel = this.addWeight(
        'kernel', [layout.nnz, kh, kw, layout.blockSize, layout.blockSize], 'float32',
        new PackedInitializer(c.kernelInitializer, [kh, kw, channels, this.filters], layout),
        c.kernelRegularizer, true, c.kernelConstraint);
    if (this.useBias) {
      this.bias = this.addWeight('bias', [this.filters], 'float32', c.biasInitializer, c.biasRegularizer, true, c.biasConstraint);
    }
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
      let y: tf.Tensor = blockSparseConv2d(x, this.kernel!.read(), this.layout!, c.strides, c.padding, c.dilationRate);
      if (this.bias != null) {
        y = tf.add(y, this.bias.read());
      }
      return c.activation.apply(y);
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    const shared = ['filters', 'kernelSize', 'strides', 'padding', 'dataFormat', 'dilationRate', 'activation', 'useBias',
                    'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer', 'activityRegularizer',
                    'kernelConstraint', 'biasConstraint'];
    return {
      ...super.getConfig(),
      ...mirroredConfig(this.template, shared),
      ...layoutConfig(this.args, this.layout)
    };
  }
}

tf.serialization.registerClass(BlockSparseConv2D);

export function blockSparseConv2D(args: BlockSparseConv2DArgs): BlockSparseConv2D {
  return new BlockSparseConv2D(args);
}
