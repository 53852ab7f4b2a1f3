import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {BlockLayout, blockSparseMatMul} from '@tfjs-blocksparse/core';

import {Activation, BlockSparseLayoutArgs, checkLayoutArgs, Constraint, Initializer, layoutConfig, mirroredConfig, PackedInitializer, Regularizer, resolveLayout, singleShape} from './layer_layout';

type DenseArgs = Parameters<typeof tfl.layers.dense>[0];

export interface BlockSparseDenseArgs extends DenseArgs, BlockSparseLayoutArgs {}

/** What a tfjs Dense layer resolves from its arguments, reused for identical semantics. */
interface DenseInternals {
  activation: Activation;
  kernelInitializer: Initializer;
  biasInitializer: Initializer;
  kernelRegularizer?: Regularizer;
  biasRegularizer?: Regularizer;
  kernelConstraint?: Constraint;
  biasConstraint?: Constraint;
}

/**
 * tf.layers.dense whose kernel is block-sparse: the kernel is stored packed
 * [nnz, bs, bs] and multiplied with blockSparseMatMul, at a cost that falls
 * with the layout's density. Arguments are tf.layers.dense's (units,
 * activation, useBias, initializers, regularizers, constraints) plus the
 * block size and the layout (see BlockSparseLayoutArgs). The realised
 * layout goes into getConfig, so a saved model reloads the same blocks.
 */
export class BlockSparseDense extends tfl.layers.Layer {
  static className = 'BlockSparseDense';
  readonly units: number;
  readonly useBias: boolean;
  layout?: BlockLayout;
  private readonly template: tfl.layers.Layer;
  private kernel?: tfl.LayerVariable;
  private bias?: tfl.LayerVariable;

  constructor(private readonly args: BlockSparseDenseArgs) {
    super(args);
    checkLayoutArgs(args, BlockSparseDense.className);
    // A Dense layer that is never built resolves and serializes the shared arguments.
    this.template = tfl.layers.dense({...args, name: undefined, inputShape: undefined, batchInputShape: undefined});
    this.units = args.units;
    this.useBias = args.useBias ?? true;
    this.activityRegularizer = (this.template as unknown as {activityRegularizer: tfl.layers.Layer['activityRegularizer']}).activityRegularizer;
    this.supportsMasking = true;
  }

  private get internals(): DenseInternals {
    return this.template as unknown as DenseInternals;
  }

  build(inputShape: tfl.Shape|tfl.Shape[]): void {
    const shape = singleShape(inputShape);
    const inputSize = shape[shape.length - 1];
    if (inputSize == null) {
      throw new Error(`${BlockSparseDense.className}: the last input dimension must be known, got [${shape}]`);
    }
    const layout = resolveLayout(this.args, inputSize, this.units, BlockSparseDense.className);
    this.layout = layout;
    const d = this.internals;
    this.kernel = this.addWeight(
        'kernel', [layout.nnz, layout.blockSize, layout.blockSize], 'float32',
        new PackedInitializer(d.kernelInitializer, [inputSize, this.units], layout),
        d.kernelRegularizer, true, d.kernelConstraint);
    if (this.useBias) {
      this.bias = this.addWeight('bias', [this.units], 'float32', d.biasInitializer, d.biasRegularizer, true, d.biasConstraint);
    }
    this.inputSpec = [{minNDim: 2, axes: {[-1]: inputSize}}];
    this.built = true;
  }

  computeOutputShape(inputShape: tfl.Shape|tfl.Shape[]): tfl.Shape {
    const shape = singleShape(inputShape);
    return [...shape.slice(0, -1), this.units];
  }

  call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      let y = blockSparseMatMul(x, this.kernel!.read(), this.layout!);
      if (this.bias != null) {
        y = tf.add(y, this.bias.read());
      }
      return this.internals.activation.apply(y);
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    const shared = ['units', 'activation', 'useBias', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer',
                    'biasRegularizer', 'activityRegularizer', 'kernelConstraint', 'biasConstraint'];
    return {
      ...super.getConfig(),
      ...mirroredConfig(this.template, shared),
      ...layoutConfig(this.args, this.layout)
    };
  }
}

tf.serialization.registerClass(BlockSparseDense);

export function blockSparseDense(args: BlockSparseDenseArgs): BlockSparseDense {
  return new BlockSparseDense(args);
}
