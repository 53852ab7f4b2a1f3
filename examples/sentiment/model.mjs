// A one-hidden-layer classifier over a bag of words: with 3,000 labelled
// sentences and no pretraining, the data suits it better than an LSTM
// trained from scratch. The hidden layer is where block sparsity goes.
import tf from '@tensorflow/tfjs';
import layers from '@tfjs-blocksparse/layers';

import {FEATURES} from './data.mjs';

/** The dense baseline, a block-sparse twin of equal width, and a wider one with as many parameters as the baseline. */
export const VARIANTS = {
  'dense': {units: 128, density: 1},
  'sparse-same-width': {units: 128, density: 1 / 4},
  'sparse-same-params': {units: 512, density: 1 / 4},
};
export const BLOCK_SIZE = 32;

export function buildModel(variant, seed) {
  const {units, density} = VARIANTS[variant];
  const kernelInitializer = tf.initializers.glorotUniform({seed});
  const hidden = density === 1 ?
      tf.layers.dense({units, activation: 'relu', kernelInitializer, inputShape: [FEATURES], name: 'hidden'}) :
      layers.blockSparseDense({
        units, activation: 'relu', kernelInitializer, inputShape: [FEATURES], name: 'hidden',
        blockSize: BLOCK_SIZE, density, layoutKind: 'random', seed
      });
  const model = tf.sequential({layers: [
    hidden,
    tf.layers.dense({units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({seed: seed + 1}), name: 'output'}),
  ]});
  compile(model);
  return model;
}

export function compile(model) {
  model.compile({optimizer: tf.train.adam(1e-3), loss: 'binaryCrossentropy', metrics: ['accuracy']});
}

/** Test accuracy and mean loss of a model on featurized sentences. */
export async function evaluate(model, features, labels) {
  const [accuracy, loss] = tf.tidy(() => {
    const x = tf.tensor2d(features, [labels.length, FEATURES]);
    const y = tf.tensor2d(labels, [labels.length, 1]);
    const p = model.predict(x);
    return [tf.metrics.binaryAccuracy(y, p).mean(), tf.metrics.binaryCrossentropy(y, p).mean()];
  });
  const values = {accuracy: (await accuracy.data())[0], loss: (await loss.data())[0]};
  tf.dispose([accuracy, loss]);
  return values;
}
