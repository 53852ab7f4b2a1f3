// Sentence classifiers that read the words in order, so that "not" can turn
// what follows around: words go in one-hot, are embedded by a dense layer
// without bias (tfjs's Embedding layer has no gradient on the wasm backend),
// and an LSTM's last state gives p(positive). As in OpenAI's sparse sentiment
// models, the block-sparse one is a multiplicative LSTM (mLSTM) whose
// recurrent kernels keep a fraction of their blocks, beside a dense LSTM with
// as many parameters.
import tf from '@tensorflow/tfjs';

import {recurrentCell} from '../shared/recurrent_cell.mjs';

import {INPUT_SIZE, MAX_TOKENS} from './data.mjs';

const EMBEDDING = 32;
export const BLOCK_SIZE = 32;
/**
 * A dense mLSTM of 512 units ("big"), a block-sparse mLSTM of 512 units whose recurrent kernels keep 1/8 of their
 * 32x32 blocks, and a dense LSTM with about as many parameters as the sparse one.
 */
export const VARIANTS = {
  'big': {cell: 'mLSTM', units: 512, density: 1},
  'sparse': {cell: 'mLSTM', units: 512, density: 1 / 8},
  'dense': {cell: 'LSTM', units: 232, density: 1},
};

export function buildModel(variant, seed) {
  const cell = recurrentCell({...VARIANTS[variant], blockSize: BLOCK_SIZE, seed});
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [MAX_TOKENS, INPUT_SIZE],
        units: EMBEDDING,
        useBias: false,
        kernelInitializer: tf.initializers.randomUniform({minval: -0.1, maxval: 0.1, seed}),
        name: 'embedding'
      }),
      tf.layers.rnn({cell, name: 'recurrent'}),
      tf.layers.dense(
          {units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({seed: seed + 3}), name: 'output'}),
    ]
  });
  compile(model);
  return model;
}

export function compile(model) {
  model.compile({optimizer: tf.train.adam(2e-3), loss: 'binaryCrossentropy', metrics: ['accuracy']});
}

/** Encoded texts ([n * MAX_TOKENS] word numbers) as the models' one-hot input [n, MAX_TOKENS, INPUT_SIZE]. */
export function oneHotTexts(codes) {
  return tf.tidy(() => tf.oneHot(tf.tensor2d(codes, [codes.length / MAX_TOKENS, MAX_TOKENS], 'int32'), INPUT_SIZE).toFloat());
}

/**
 * p(positive) [n, 1] for encoded texts (an Int32Array or int32 tensor of
 * n * MAX_TOKENS word numbers): the embedding's rows looked up, the
 * same numbers as model.predict(oneHotTexts(codes)) without making the
 * [n, MAX_TOKENS, INPUT_SIZE] one-hot input and multiplying through it.
 */
export function predictCodes(model, codes) {
  return tf.tidy(() => {
    const words = codes instanceof tf.Tensor ? tf.reshape(codes, [-1, MAX_TOKENS]) :
                                               tf.tensor2d(codes, [codes.length / MAX_TOKENS, MAX_TOKENS], 'int32');
    const embedded = tf.gather(model.getLayer('embedding').getWeights()[0], words);
    return model.getLayer('output').apply(model.getLayer('recurrent').apply(embedded));
  });
}

/** Accuracy and mean loss of a model on encoded texts. */
export async function evaluate(model, codes, labels) {
  const [correct, loss] = tf.tidy(() => {
    const p = predictCodes(model, codes);
    const y = tf.tensor2d(labels, [labels.length, 1]);
    return [tf.mean(tf.metrics.binaryAccuracy(y, p)), tf.mean(tf.metrics.binaryCrossentropy(y, p))];
  });
  const values = {accuracy: (await correct.data())[0], loss: (await loss.data())[0]};
  tf.dispose([correct, loss]);
  return values;
}
