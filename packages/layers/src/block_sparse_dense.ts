import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {blockSparseMatMul} from '@tfjs-blocksparse/core';

import {BlockSparseKernelLayer, KernelDtypeArgs, KernelLayerInternals} from './block_sparse_kernel_layer';
import {BlockSparseLayoutArgs, singleShape} from './layer_layout';

type DenseArgs = Parameters<typeof tfl.layers.dense>[0];

export interface BlockSparseDenseArgs extends DenseArgs, BlockSparseLayoutArgs, KernelDtypeArgs {}

/**
 * tf.layers.dense whose kernel is block-sparse: the kernel is stored packed
 * [nnz, bs, bs] and multiplied with blockSparseMatMul, at a cost that falls
 * with the layout's density. Arguments are tf.layers.dense's (units,
 * activation, useBias, initializers, regularizers, constraints) plus the
 * block size and the layout (see BlockSparseLayoutArgs). The realised
 * layout goes into getConfig, so a saved model reloads the same blocks.
 */
export class BlockSparseDense extends BlockSparseKernelLayer<BlockSparseDenseArgs, KernelLayerInternals> {
  static className = 'BlockSparseDense';
  readonly units: number;

  constructor(args: BlockSparseDenseArgs) {
    super(args, BlockSparseDense.className, tfl.layers.dense, [
      'units', 'activation', 'useBias', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer',
      'activityRegularizer', 'kernelConstraint', 'biasConstraint'
    ]);
    this.units = args.units;
    this.supportsMasking = true;
  }

  build(inputShape: tfl.Shape|tfl.Shape[]): void {
    const shape = singleShape(inputShape);
    const inputSize = shape[shape.length - 1];
    if (inputSize == null) {
      throw new Error(`${BlockSparseDense.className}: the last input dimension must be known, got [${shape}]`);
    }
    this.addBlockSparseWeights(inputSize, this.units, [], BlockSparseDense.className);
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
      return this.withEpilogue(epilogue => blockSparseMatMul(x, this.kernel!.read(), this.layout!, epilogue));
    });
  }
}

tf.serialization.registerClass(BlockSparseDense);

export function blockSparseDense(args: BlockSparseDenseArgs): BlockSparseDense {
  return new BlockSparseDense(args);
}
