import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {BlockLayout, BlockLayoutJSON, blockSparseMatMul, LSTMGates, lstmGates, RECURRENT_ACTIVATIONS, RecurrentActivation} from '@tfjs-blocksparse/core';

import {Activation, BlockSparseLayoutArgs, blockSizeOf, checkLayoutArgs, Constraint, Initializer, InitializerBase, layoutConfig, mirroredConfig, PackedInitializer, Regularizer, resolveLayout, singleShape} from './layer_layout';

type LSTMCellArgs = Parameters<typeof tfl.layers.lstmCell>[0];

export interface BlockSparseLSTMCellArgs extends LSTMCellArgs, Omit<BlockSparseLayoutArgs, 'layout'> {
  /**
   * The multiplicative LSTM (mLSTM) of Krause et al., as in OpenAI's sparse
   * sentiment models: the recurrent input is m = (x·Wmx) ⊙ (h·Wmh) instead
   * of h. Default false.
   */
  multiplicative?: boolean;
  /**
   * Density of the input kernels (kernel, multKernel); default `density`.
   * A narrow input (an embedding of 32) has one row of blocks: at density
   * 1/8 only 1/8 of the gates would see the input at all, so such cells keep
   * the input kernels denser than the recurrent ones.
   */
  inputDensity?: number;
  /** Explicit layouts by weight name (as saved in the config). */
  layouts?: Record<string, BlockLayoutJSON>;
}

interface LSTMInternals {
  activation: Activation;
  recurrentActivation: Activation;
  kernelInitializer: Initializer;
  recurrentInitializer: Initializer;
  biasInitializer: Initializer;
  kernelRegularizer?: Regularizer;
  recurrentRegularizer?: Regularizer;
  biasRegularizer?: Regularizer;
  kernelConstraint?: Constraint;
  recurrentConstraint?: Constraint;
  biasConstraint?: Constraint;
}

/**
 * An LSTM cell (or mLSTM cell) whose input and recurrent kernels are
 * block-sparse, for tf.layers.rnn({cell}). It follows tf.layers.lstmCell:
 * gates in the order i, f, c, o, its activations, initializers,
 * regularizers, constraints and unitForgetBias. Every kernel gets its own
 * layout, generated with seeds seed, seed + 1, ... and saved in the config.
 */
export class BlockSparseLSTMCell extends tfl.layers.Layer {
  static className = 'BlockSparseLSTMCell';
  readonly units: number;
  readonly stateSize: number[];
  readonly multiplicative: boolean;
  readonly layouts: Record<string, BlockLayout> = {};
  // Part of tfjs's RNNCell contract (tf.layers.rnn resets them); this cell has no dropout.
  dropoutMask: tf.Tensor|tf.Tensor[] = [];
  recurrentDropoutMask: tf.Tensor|tf.Tensor[] = [];
  private readonly template: tfl.layers.Layer;
  private readonly kernels: Record<string, tfl.LayerVariable> = {};
  private bias?: tfl.LayerVariable;

  constructor(private readonly args: BlockSparseLSTMCellArgs) {
    super(args);
    checkLayoutArgs(args, BlockSparseLSTMCell.className);
    if (args.inputDensity != null && !(args.inputDensity > 0 && args.inputDensity <= 1)) {
      throw new Error(`${BlockSparseLSTMCell.className}: inputDensity must be in (0, 1], got ${args.inputDensity}`);
    }
    // Its arguments extend tf.layers.lstmCell's, dropout included; ignoring a dropout asked for would train another model.
    if ((args.dropout ?? 0) > 0 || (args.recurrentDropout ?? 0) > 0) {
      throw new Error(
          `${BlockSparseLSTMCell.className}: dropout and recurrentDropout are not supported (got ${args.dropout ?? 0} and ` +
          `${args.recurrentDropout ?? 0}); put a tf.layers.dropout before the RNN instead`);
    }
    if (!Number.isInteger(args.units) || args.units % blockSizeOf(args)! !== 0) {
      throw new Error(`${BlockSparseLSTMCell.className}: units (${args.units}) must be a multiple of blockSize (${blockSizeOf(args)})`);
    }
    this.template = tfl.layers.lstmCell({...args, name: undefined});
    this.units = args.units;
    this.stateSize = [args.units, args.units];
    this.multiplicative = args.multiplicative ?? false;
  }

  private get internals(): LSTMInternals {
    return this.template as unknown as LSTMInternals;
  }

  build(inputShape: tfl.Shape|tfl.Shape[]): void {
    const shape = singleShape(inputShape);
    const inputDim = shape[shape.length - 1];
    if (inputDim == null) {
      throw new Error(`${BlockSparseLSTMCell.className}: the input feature size must be known, got [${shape}]`);
    }
    const d = this.internals;
    const units = this.units;
    const sparse =
        (name: string, rows: number, cols: number, index: number, init: Initializer, regularizer: Regularizer, constraint: Constraint) => {
          const isInput = name === 'kernel' || name === 'multKernel';
          const density = isInput ? this.args.inputDensity ?? this.args.density : this.args.density;
          const layout = resolveLayout(
              {...this.args, density, layout: this.args.layouts?.[name], seed: (this.args.seed ?? 0) + index}, rows, cols,
              `${BlockSparseLSTMCell.className} ${name}`);
          this.layouts[name] = layout;
          this.kernels[name] = this.addWeight(
              name, [layout.nnz, layout.blockSize, layout.blockSize], 'float32', new PackedInitializer(init, [rows, cols], layout),
              regularizer, true, constraint);
        };
    sparse('kernel', inputDim, 4 * units, 0, d.kernelInitializer, d.kernelRegularizer, d.kernelConstraint);
    sparse('recurrentKernel', units, 4 * units, 1, d.recurrentInitializer, d.recurrentRegularizer, d.recurrentConstraint);
    if (this.multiplicative) {
      sparse('multKernel', inputDim, units, 2, d.kernelInitializer, d.kernelRegularizer, d.kernelConstraint);
      sparse('multRecurrentKernel', units, units, 3, d.recurrentInitializer, d.recurrentRegularizer, d.recurrentConstraint);
    }
    if (this.args.useBias ?? true) {
      const forgetBias = this.args.unitForgetBias ?? true;
      const init = forgetBias ? new ForgetBiasInitializer(d.biasInitializer, units) : d.biasInitializer;
      this.bias = this.addWeight('bias', [4 * units], 'float32', init, d.biasRegularizer, true, d.biasConstraint);
    }
    this.built = true;
  }

  call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor[] {
    return tf.tidy(() => {
      const [x, h, c] = inputs as tf.Tensor[];
      const d = this.internals;
      const product = (a: tf.Tensor, name: string, bias?: tf.Tensor) =>
          blockSparseMatMul(a, this.kernels[name].read(), this.layouts[name], {bias});
      const recurrentInput = this.multiplicative ? tf.mul(product(x, 'multKernel'), product(h, 'multRecurrentKernel')) : h;
      // The bias rides in the recurrent product's epilogue.
      const z = tf.add(product(x, 'kernel'), product(recurrentInput, 'recurrentKernel', this.bias?.read()));
      const fusedActivation = this.fusedRecurrentActivation();
      if (fusedActivation != null) {
        const [hNext, cNext] = lstmGates(z, c, fusedActivation);
        return [hNext, hNext, cNext];
      }
      const [zi, zf, zc, zo] = tf.split(z, 4, -1);
      const cNext = tf.add(tf.mul(d.recurrentActivation.apply(zf), c), tf.mul(d.recurrentActivation.apply(zi), d.activation.apply(zc)));
      const hNext = tf.mul(d.recurrentActivation.apply(zo), d.activation.apply(cNext));
      return [hNext, hNext, cNext];
    });
  }

  /**
   * The recurrent activation where the gates can run as one lstmGates call
   * (activation tanh, recurrent activation one it fuses, a backend with the
   * kernel), else null: the gates then run as separate ops.
   */
  private fusedRecurrentActivation(): RecurrentActivation|null {
    const {activation, recurrentActivation} = this.internals;
    const name = recurrentActivation.getClassName() as RecurrentActivation;
    return activation.getClassName() === 'tanh' && RECURRENT_ACTIVATIONS.includes(name) &&
            tf.getKernel(LSTMGates, tf.getBackend()) != null ?
        name :
        null;
  }

  getConfig(): tf.serialization.ConfigDict {
    const shared = [
      'units', 'activation', 'recurrentActivation', 'useBias', 'kernelInitializer', 'recurrentInitializer', 'biasInitializer',
      'unitForgetBias', 'kernelRegularizer', 'recurrentRegularizer', 'biasRegularizer', 'activityRegularizer', 'kernelConstraint',
      'recurrentConstraint', 'biasConstraint'
    ];
    const {layout: _, ...layoutArgs} = layoutConfig(this.args, undefined);
    const layouts = Object.keys(this.layouts).length > 0 ?
        Object.fromEntries(Object.entries(this.layouts).map(([k, l]) => [k, l.toJSON()])) :
        this.args.layouts;
    return {
      ...super.getConfig(),
      ...mirroredConfig(this.template, shared),
      ...layoutArgs,
      multiplicative: this.multiplicative,
      ...(this.args.inputDensity == null ? {} : {inputDensity: this.args.inputDensity}),
      ...(layouts == null ? {} : {layouts: layouts as unknown as tf.serialization.ConfigDict})
    };
  }
}

/** The wrapped initializer for the bias, with ones for the forget gate (as tf.layers.lstmCell's unitForgetBias). */
class ForgetBiasInitializer extends InitializerBase {
  static className = 'ForgetBiasInitializer';

  constructor(private readonly base: Initializer, private readonly units: number) {
    super();
  }

  apply(): tf.Tensor {
    return tf.tidy(() => {
      const [i, , c, o] = tf.split(this.base.apply([4 * this.units]), 4);
      return tf.concat([i, tf.ones([this.units]), c, o]);
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

tf.serialization.registerClass(BlockSparseLSTMCell);

export function blockSparseLSTMCell(args: BlockSparseLSTMCellArgs): BlockSparseLSTMCell {
  return new BlockSparseLSTMCell(args);
}
