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

export type KernelLayerArgs = ConstructorParameters<typeof tfl.layers.Layer>[0]&BlockSparseLayoutArgs&{useBias?: boolean};

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
  layout?: BlockLayout;
  protected readonly template: tfl.layers.Layer;
  protected kernel?: tfl.LayerVariable;
  protected bias?: tfl.LayerVariable;

  protected constructor(
      protected readonly args: Args, className: string, makeTemplate: (args: Args) => tfl.layers.Layer,
      private readonly sharedConfig: string[]) {
    super(args);
    checkLayoutArgs(args, className);
    this.template = makeTemplate({...args, name: undefined, inputShape: undefined, batchInputShape: undefined});
    this.useBias = args.useBias ?? true;
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
   * packed kernel [nnz, ...spatial, bs, bs] and the bias [outputSize].
   */
  protected addBlockSparseWeights(inputSize: number, outputSize: number, spatial: number[], className: string) {
    const layout = resolveLayout(this.args, inputSize, outputSize, className);
    this.layout = layout;
    const d = this.internals;
    this.kernel = this.addWeight(
        'kernel', [layout.nnz, ...spatial, layout.blockSize, layout.blockSize], 'float32',
        new PackedInitializer(d.kernelInitializer, [...spatial, inputSize, outputSize], layout), d.kernelRegularizer, true,
        d.kernelConstraint);
    if (this.useBias) {
      this.bias = this.addWeight('bias', [outputSize], 'float32', d.biasInitializer, d.biasRegularizer, true, d.biasConstraint);
    }
  }

  /**
   * The layer's output, bias and activation included, from its block-sparse
   * `product`: one kernel where the kernels apply the activation themselves
   * (FUSED_ACTIVATIONS), as tfjs's own layers fuse theirs; else bias and
   * activation as ops after it.
   */
  protected withEpilogue(product: (epilogue: FusedEpilogueOptions) => tf.Tensor): tf.Tensor {
    const name = this.internals.activation.getClassName();
    const activation = FUSED_ACTIVATIONS.find(a => a === name);
    if (activation != null) {
      return product({bias: this.bias?.read(), activation});
    }
    const y = product({});
    return this.internals.activation.apply(this.bias == null ? y : tf.add(y, this.bias.read()));
  }

  getConfig(): tf.serialization.ConfigDict {
    return {...super.getConfig(), ...mirroredConfig(this.template, this.sharedConfig), ...layoutConfig(this.args, this.layout)};
  }
}
