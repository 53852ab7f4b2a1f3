import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {BlockLayout, FUSED_ACTIVATIONS, FusedEpilogueOptions, releaseLayoutTables} from '@tfjs-blocksparse/core';

import {Activation, BlockSparseLayoutArgs, checkLayoutArgs, Constraint, Initializer, layoutConfig, mirroredConfig, PackedInitializer, Regularizer, resolveLayout} from './layer_layout';

/** What tfjs's Dense and Conv2D layers resolve from their arguments. */
export interface KernelLayerInternals {
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
 * How a layer holds its kernel: float32 blocks, int8 blocks with a float32
 * scale per output channel (quantizeBlocks), or float16 blocks (toFloat16Blocks).
 */
export type KernelDtype = 'float32'|'int8'|'float16';

/** How a block-sparse kernel layer holds its kernel, shared by BlockSparseDense and BlockSparseConv2D. */
export interface KernelDtypeArgs {
  /**
   * 'int8': the kernel is int8 blocks (an int32 weight [nnz, ...spatial, bs
   * / 2, bs / 2], not trainable) with a weight `kernel_scales` [units]: a
   * quarter of the memory, read as int8 by the kernels. Its weights come
   * from a float32 layer's kernel through quantizeBlocks (the converter's
   * --int8); setWeights takes them in tfjs's order, trainable weights
   * first: [kernel_scales, bias, kernel]. 'float16': the kernel is float16
   * blocks (an int32 weight [nnz, ...spatial, bs, bs / 2], not trainable):
   * half the memory, from toFloat16Blocks (the converter's --float16);
   * setWeights takes [bias, kernel]. Default 'float32'.
   */
  kernelDtype?: KernelDtype;
}

export type KernelLayerArgs = ConstructorParameters<typeof tfl.layers.Layer>[0]&BlockSparseLayoutArgs&KernelDtypeArgs&{useBias?: boolean};

/**
 * A tfjs layer with a block-sparse kernel and an optional bias. A tfjs layer
 * of the dense kind, made from the same arguments and never built (the
 * template), resolves them (activation, initializers, regularizers,
 * constraints) and serializes them, so both kinds mean the same thing by
 * them; getConfig adds the realised layout.
 */
export abstract class BlockSparseKernelLayer<Args extends KernelLayerArgs, Internals extends KernelLayerInternals> extends
    tfl.layers.Layer {
  readonly useBias: boolean;
  readonly kernelDtype: KernelDtype;
  layout?: BlockLayout;
  protected readonly template: tfl.layers.Layer;
  protected kernel?: tfl.LayerVariable;
  /** The scales of int8 blocks (kernelDtype 'int8'). */
  protected kernelScales?: tfl.LayerVariable;
  protected bias?: tfl.LayerVariable;

  protected constructor(
      protected readonly args: Args, className: string, makeTemplate: (args: Args) => tfl.layers.Layer,
      private readonly sharedConfig: string[]) {
    super(args);
    checkLayoutArgs(args, className);
    this.template = makeTemplate({...args, name: undefined, inputShape: undefined, batchInputShape: undefined});
    this.useBias = args.useBias ?? true;
    this.kernelDtype = args.kernelDtype ?? 'float32';
    if (this.kernelDtype !== 'float32' && this.kernelDtype !== 'int8' && this.kernelDtype !== 'float16') {
      throw new Error(`${className}: kernelDtype must be 'float32', 'int8' or 'float16', got '${this.kernelDtype}'`);
    }
    this.activityRegularizer = this.internals.activityRegularizer;
  }

  protected get internals(): Internals {
    return this.template as unknown as Internals;
  }

  /** With the weights (the layer's last dispose), frees its layout's tables on every backend. */
  override disposeWeights(): number {
    if (this.layout != null) {
      releaseLayoutTables(this.layout);
    }
    return super.disposeWeights();
  }

  /**
   * Resolves the layout of inputSize x outputSize channels and adds the
   * packed kernel [nnz, ...spatial, bs, bs] (int8: int32 [nnz, ...spatial,
   * bs / 2, bs / 2], zeros, and its scales [outputSize], ones, until
   * setWeights; float16: int32 [nnz, ...spatial, bs, bs / 2], zeros) and
   * the bias [outputSize].
   */
  protected addBlockSparseWeights(inputSize: number, outputSize: number, spatial: number[], className: string) {
    const layout = resolveLayout(this.args, inputSize, outputSize, className);
    this.layout = layout;
    const d = this.internals;
    const bs = layout.blockSize;
    if (this.kernelDtype === 'int8') {
      if (bs % 4 !== 0) {
        throw new Error(`${className}: kernelDtype 'int8' needs a block size that is a multiple of 4, got ${bs}`);
      }
      this.kernel = this.addWeight('kernel', [layout.nnz, ...spatial, bs / 2, bs / 2], 'int32', tfl.initializers.zeros(), undefined, false);
      this.kernelScales = this.addWeight('kernel_scales', [outputSize], 'float32', tfl.initializers.ones(), undefined, true);
    } else if (this.kernelDtype === 'float16') {
      if (bs % 2 !== 0) {
        throw new Error(`${className}: kernelDtype 'float16' needs an even block size, got ${bs}`);
      }
      this.kernel = this.addWeight('kernel', [layout.nnz, ...spatial, bs, bs / 2], 'int32', tfl.initializers.zeros(), undefined, false);
    } else {
      this.kernel = this.addWeight(
          'kernel', [layout.nnz, ...spatial, bs, bs], 'float32',
          new PackedInitializer(d.kernelInitializer, [...spatial, inputSize, outputSize], layout), d.kernelRegularizer, true,
          d.kernelConstraint);
    }
    if (this.useBias) {
      this.bias = this.addWeight('bias', [outputSize], 'float32', d.biasInitializer, d.biasRegularizer, true, d.biasConstraint);
    }
  }

  /**
   * The layer's output, bias and activation included, from its block-sparse
   * `product` (given the scales of int8 blocks, where the kernel holds them):
   * one kernel where the kernels apply the activation themselves
   * (FUSED_ACTIVATIONS), as tfjs's own layers fuse theirs; else bias and
   * activation as ops after it.
   */
  protected withEpilogue(product: (epilogue: FusedEpilogueOptions&{scales?: tf.Tensor}) => tf.Tensor): tf.Tensor {
    const name = this.internals.activation.getClassName();
    const activation = FUSED_ACTIVATIONS.find(a => a === name);
    const scales = this.kernelScales?.read();
    if (activation != null) {
      return product({bias: this.bias?.read(), activation, scales});
    }
    const y = product({scales});
    return this.internals.activation.apply(this.bias == null ? y : tf.add(y, this.bias.read()));
  }

  getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      ...mirroredConfig(this.template, this.sharedConfig),
      ...layoutConfig(this.args, this.layout),
      kernelDtype: this.kernelDtype
    };
  }
}
