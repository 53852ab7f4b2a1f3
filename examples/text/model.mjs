// A character-level language model: the previous CONTEXT characters,
// embedded and concatenated, through two hidden layers to the next
// character's logits. Fixed-context rather than recurrent so that it trains
// in minutes on tfjs's pure-JavaScript cpu backend.
import tf from '@tensorflow/tfjs';
import layers from '@tfjs-blocksparse/layers';

import {ALPHABET, CONTEXT} from './data.mjs';

const EMBEDDING = 16;
export const BLOCK_SIZE = 32;
/** The dense baseline and a block-sparse model 2.5x wider with about as many parameters. */
export const VARIANTS = {
  'dense': {units: 256, density: 1},
  'sparse': {units: 640, density: 1 / 4},
};

export function buildModel(variant, seed) {
  const {units, density} = VARIANTS[variant];
  const hidden = (name, inputSize, i) => {
    const kernelInitializer = tf.initializers.heNormal({seed: seed + i});
    return density === 1 ?
        tf.layers.dense({units, activation: 'relu', kernelInitializer, name}) :
        layers.blockSparseDense({units, activation: 'relu', kernelInitializer, name, blockSize: BLOCK_SIZE, density, layoutKind: 'smallWorld', seed: seed + i});
  };
  const model = tf.sequential({layers: [
    tf.layers.embedding({inputDim: ALPHABET.length, outputDim: EMBEDDING, inputLength: CONTEXT, embeddingsInitializer: tf.initializers.randomUniform({minval: -0.05, maxval: 0.05, seed}), name: 'embedding'}),
    tf.layers.flatten({name: 'flatten'}),
    hidden('hidden1', CONTEXT * EMBEDDING, 1),
    hidden('hidden2', units, 2),
    tf.layers.dense({units: ALPHABET.length, kernelInitializer: tf.initializers.glorotUniform({seed: seed + 3}), name: 'logits'}),
  ]});
  compile(model);
  return model;
}

export function compile(model) {
  model.compile({optimizer: tf.train.adam(5e-3), loss: (y, logits) => tf.losses.softmaxCrossEntropy(y, logits)});
}

/** Mean cross-entropy of the next character in bits, over the given windows. */
export async function bitsPerCharacter(model, {x, y}) {
  const bits = tf.tidy(() => {
    const logits = model.predict(tf.tensor2d(x, [y.length, CONTEXT], 'int32'));
    const labels = tf.oneHot(tf.tensor1d(y, 'int32'), ALPHABET.length);
    return tf.div(tf.losses.softmaxCrossEntropy(labels, logits), Math.LN2);
  });
  const value = (await bits.data())[0];
  bits.dispose();
  return value;
}

/** Samples `length` characters after `prompt` (codes), one forward pass per character. */
export async function* generate(model, promptCodes, length, temperature, random) {
  const context = Array.from(promptCodes.slice(-CONTEXT));
  while (context.length < CONTEXT) {
    context.unshift(0);
  }
  for (let i = 0; i < length; i++) {
    const probs = tf.tidy(() => tf.softmax(tf.div(model.predict(tf.tensor2d(context, [1, CONTEXT], 'int32')), temperature)));
    const p = await probs.data();
    probs.dispose();
    let r = random(), next = p.length - 1;
    for (let k = 0; k < p.length; k++) {
      r -= p[k];
      if (r <= 0) {
        next = k;
        break;
      }
    }
    context.shift();
    context.push(next);
    yield next;
  }
}
