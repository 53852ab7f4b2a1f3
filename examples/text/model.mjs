// A character-level language model as in OpenAI's block-sparse work: a
// multiplicative LSTM (mLSTM, Krause et al.) whose recurrent kernels are
// block-sparse with small-world layouts, beside a dense LSTM with as many
// parameters. Characters come in one-hot and are embedded by a dense layer
// without bias (tfjs's Embedding layer has no gradient on the wasm backend).
import tf from '@tensorflow/tfjs';

import {recurrentCell} from '../shared/recurrent_cell.mjs';

import {ALPHABET, SEQUENCE} from './data.mjs';

const EMBEDDING = 32;
export const BLOCK_SIZE = 32;
/** Gradients are clipped to this global norm: recurrent nets otherwise blow up now and then. */
const CLIP_NORM = 5;
/**
 * A dense LSTM and a block-sparse mLSTM with about as many parameters: 512 units whose recurrent kernels keep 1/8 of their 32x32 blocks.
 */
export const VARIANTS = {
  'big': {cell: 'mLSTM', units: 512, density: 1},
  'sparse': {cell: 'mLSTM', units: 512, density: 1 / 8},
  'dense': {cell: 'LSTM', units: 240, density: 1},
};

export function buildModel(variant, seed) {
  const cell = recurrentCell({...VARIANTS[variant], blockSize: BLOCK_SIZE, seed});
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [null, ALPHABET.length],
        units: EMBEDDING,
        useBias: false,
        kernelInitializer: tf.initializers.randomUniform({minval: -0.5, maxval: 0.5, seed}),
        name: 'embedding'
      }),
      tf.layers.rnn({cell, returnSequences: true, name: 'recurrent'}),
      tf.layers.dense({units: ALPHABET.length, kernelInitializer: tf.initializers.glorotUniform({seed: seed + 3}), name: 'logits'}),
    ]
  });
  return model;
}

/** [count, SEQUENCE] character codes as the model's one-hot input. */
export function oneHotSequences(codes, count) {
  return tf.tidy(() => tf.oneHot(tf.tensor2d(codes, [count, codes.length / count], 'int32'), ALPHABET.length).toFloat());
}

/** Mean cross-entropy (nats) of the next characters yCodes [n, SEQUENCE] given one-hot x. */
function crossEntropy(model, x, yCodes) {
  const logits = model.apply(x);
  return tf.losses.softmaxCrossEntropy(tf.oneHot(yCodes, ALPHABET.length), logits);
}

/** One optimizer step on sequences {x, y, count}, gradients clipped to CLIP_NORM; returns the loss in bits/char. */
export async function trainStep(model, optimizer, {x, y, count}) {
  const loss = tf.tidy(() => {
    const input = oneHotSequences(x, count);
    const target = tf.tensor2d(y, [count, SEQUENCE], 'int32');
    const {value, grads} = tf.variableGrads(() => crossEntropy(model, input, target), model.trainableWeights.map(w => w.read()));
    const norm = tf.sqrt(tf.addN(Object.values(grads).map(g => tf.sum(tf.square(g)))));
    const scale = tf.minimum(1, tf.div(CLIP_NORM, tf.add(norm, 1e-6)));
    optimizer.applyGradients(Object.fromEntries(Object.entries(grads).map(([name, g]) => [name, tf.mul(g, scale)])));
    return tf.div(value, Math.LN2);
  });
  const bits = (await loss.data())[0];
  loss.dispose();
  return bits;
}

/** Mean cross-entropy of each next character in bits, over sequences {x, y, count} (each from an empty state). */
export async function bitsPerCharacter(model, {x, y, count}, batch = 200) {
  let total = 0;
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    const part = tf.tidy(
        () => tf.mul(
            crossEntropy(
                model, oneHotSequences(x.subarray(i * SEQUENCE, (i + n) * SEQUENCE), n),
                tf.tensor2d(y.subarray(i * SEQUENCE, (i + n) * SEQUENCE), [n, SEQUENCE], 'int32')),
            n));
    total += (await part.data())[0];
    part.dispose();
  }
  return total / count / Math.LN2;
}

/**
 * Samples `length` characters after `promptCodes`, one recurrent step per
 * character: the prompt is read step by step into the state, then each
 * sampled character is fed back.
 */
export async function* generate(model, promptCodes, length, temperature, random) {
  const step = sampler(model);
  let logits = null;
  for (const code of promptCodes.length > 0 ? promptCodes : [0]) {
    logits?.dispose();
    logits = step([code]);
  }
  for (let i = 0; i < length; i++) {
    const probs = tf.tidy(() => tf.softmax(tf.div(logits, temperature)));
    const p = await probs.data();
    tf.dispose([probs, logits]);
    let r = random(), next = p.length - 1;
    for (let k = 0; k < p.length; k++) {
      r -= p[k];
      if (r <= 0) {
        next = k;
        break;
      }
    }
    yield next;
    logits = step([next]);
  }
  logits.dispose();
  step.dispose();
}

/**
 * One recurrent step at a time for a batch of texts: step(codes) takes the
 * next character of each (an array or int32 tensor of batch length) and
 * returns the logits of the one after [batch, ALPHABET.length]; the state
 * lives between calls (a new batch size starts from an empty state).
 */
export function sampler(model) {
  const [embedding, recurrent, output] = ['embedding', 'recurrent', 'logits'].map(name => model.getLayer(name));
  const units = recurrent.cell.units;
  let state = [];
  const step = codes => {
    const batch = codes instanceof tf.Tensor ? codes.shape[0] : codes.length;
    if (state.length === 0 || state[0].shape[0] !== batch) {
      tf.dispose(state);
      state = [tf.zeros([batch, units]), tf.zeros([batch, units])];
    }
    const [logits, h, c] = tf.tidy(() => {
      const x = embedding.apply(tf.oneHot(codes instanceof tf.Tensor ? codes : tf.tensor1d(codes, 'int32'), ALPHABET.length).toFloat());
      const [out, hNext, cNext] = recurrent.cell.call([x, ...state], {});
      return [output.apply(out), hNext, cNext];
    });
    tf.dispose(state);
    state = [h, c];
    return logits;
  };
  step.dispose = () => tf.dispose(state);
  return step;
}
