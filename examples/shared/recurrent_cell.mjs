// The cells the recurrent demos (text, sentiment) compare, as in OpenAI's
// sparse sentiment and text models.
import tf from '@tensorflow/tfjs';
import core from '@tfjs-blocksparse/core';
import layers from '@tfjs-blocksparse/layers';

/**
 * x·w, whose gradients multiply untransposed operands: tfjs-backend-wasm's
 * matMul with a transposed operand runs many times slower than a transpose
 * followed by a plain matMul (docs/demos.md).
 */
const product = tf.customGrad((x, w, save) => {
  save([x, w]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy, [xSaved, wSaved]) => [tf.transpose(tf.matMul(wSaved, tf.transpose(dy))), tf.matMul(tf.transpose(xSaved), dy)],
  };
});

/**
 * A dense multiplicative LSTM cell (Krause et al.) on tf.matMul: the sparse
 * cell's dense twin. Same weights, gate order (i, f, c, o) and forget-gate
 * bias of 1 as blockSparseLSTMCell({multiplicative: true}); its gates use
 * sigmoid where the sparse cell has tf.layers.lstmCell's hardSigmoid. Its
 * gates run as one lstmGates call, as the block-sparse cell's do, so that the
 * dense and sparse models differ in their products only.
 */
class MultiplicativeLSTMCell extends tf.layers.Layer {
  static className = 'MultiplicativeLSTMCell';

  constructor({units, kernelInitializer, recurrentInitializer, ...args}) {
    super(args);
    this.units = units;
    this.stateSize = [units, units];
    this.kernelInitializer = kernelInitializer ?? tf.initializers.glorotUniform({});
    this.recurrentInitializer = recurrentInitializer ?? tf.initializers.glorotUniform({});
    // Part of tfjs's RNNCell contract (tf.layers.rnn resets them); this cell has no dropout.
    this.dropoutMask = [];
    this.recurrentDropoutMask = [];
  }

  build(inputShape) {
    const inputDim = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape).at(-1);
    const units = this.units;
    this.kernel = this.addWeight('kernel', [inputDim, 4 * units], 'float32', this.kernelInitializer);
    this.recurrentKernel = this.addWeight('recurrentKernel', [units, 4 * units], 'float32', this.recurrentInitializer);
    this.multKernel = this.addWeight('multKernel', [inputDim, units], 'float32', this.kernelInitializer);
    this.multRecurrentKernel = this.addWeight('multRecurrentKernel', [units, units], 'float32', this.recurrentInitializer);
    const forgetBias = {apply: () => tf.concat([tf.zeros([units]), tf.ones([units]), tf.zeros([2 * units])])};
    this.bias = this.addWeight('bias', [4 * units], 'float32', forgetBias);
    this.built = true;
  }

  call([x, h, c]) {
    return tf.tidy(() => {
      const m = tf.mul(product(x, this.multKernel.read()), product(h, this.multRecurrentKernel.read()));
      const z = tf.add(tf.add(product(x, this.kernel.read()), product(m, this.recurrentKernel.read())), this.bias.read());
      const [hNext, cNext] = core.lstmGates(z, c, 'sigmoid');
      return [hNext, hNext, cNext];
    });
  }

  getConfig() {
    return {...super.getConfig(), units: this.units};
  }
}
tf.serialization.registerClass(MultiplicativeLSTMCell);

// tfjs-layers exports the factory tf.layers.lstmCell, not its class.
const LSTMCell = Object.getPrototypeOf(tf.layers.lstmCell({units: 1})).constructor;

/**
 * tf.layers.lstmCell (its weights, config and defaults: tanh, hardSigmoid)
 * with the gates in one lstmGates call and the products of
 * MultiplicativeLSTMCell: the small dense model's cell.
 */
class DenseLSTMCell extends LSTMCell {
  static className = 'DenseLSTMCell';

  call(inputs, kwargs) {
    const activation = this.activation.getClassName(), recurrentActivation = this.recurrentActivation.getClassName();
    if (!this.useBias || activation !== 'tanh' || !core.RECURRENT_ACTIVATIONS.includes(recurrentActivation)) {
      return super.call(inputs, kwargs);
    }
    return tf.tidy(() => {
      const [x, h, c] = inputs;
      const z = tf.add(tf.add(product(x, this.kernel.read()), product(h, this.recurrentKernel.read())), this.bias.read());
      const [hNext, cNext] = core.lstmGates(z, c, recurrentActivation);
      return [hNext, hNext, cNext];
    });
  }
}
tf.serialization.registerClass(DenseLSTMCell);

/**
 * A dense LSTM or mLSTM cell (density 1), or a multiplicative LSTM cell whose
 * recurrent kernels keep `density` of their blocks in small-world layouts.
 * The sparse cell's input kernels stay dense: the demos' 32-number embedding
 * is one or two rows of blocks, and at low density most gates would never
 * see the input.
 */
export function recurrentCell({cell, units, density, blockSize, seed}) {
  const kernelInitializer = tf.initializers.glorotUniform({seed: seed + 1});
  const recurrentInitializer = tf.initializers.glorotUniform({seed: seed + 2});
  if (density === 1) {
    return cell === 'mLSTM' ? new MultiplicativeLSTMCell({units, kernelInitializer, recurrentInitializer}) :
                              new DenseLSTMCell({units, kernelInitializer, recurrentInitializer});
  }
  return layers.blockSparseLSTMCell({
    units,
    kernelInitializer,
    // Glorot over the connections kept: glorotUniform over the dense shape would start the kept weights
    // sqrt(1 / density) times too small for their fan-in.
    recurrentInitializer: tf.initializers.varianceScaling({scale: 1 / density, mode: 'fanAvg', distribution: 'uniform', seed: seed + 2}),
    multiplicative: true,
    blockSize,
    density,
    inputDensity: 1,
    layoutKind: 'smallWorld',
    seed
  });
}
