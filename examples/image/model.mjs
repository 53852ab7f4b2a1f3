// A small PixelCNN (van den Oord et al., 2016) on 14x14 binary digits:
// masked convolutions make each pixel's Bernoulli logit depend only on the
// pixels above and to its left, so the model gives exact likelihoods and
// draws samples pixel by pixel. Its hidden 3x3 convolutions are block-sparse
// over (input x output channel) blocks; they use the ops directly, with
// the mask multiplied into the packed filter.
import tf from '@tensorflow/tfjs';
import core from '@tfjs-blocksparse/core';

import {SIZE} from './data.mjs';

export const BLOCK_SIZE = 8;
const HIDDEN_LAYERS = 3;
const FIRST_KERNEL = 5;
const HIDDEN_KERNEL = 3;
/**
 * The dense baseline keeps every block (the same kernels, so that both train
 * at the speed of the block-sparse gradients: tfjs's cpu conv2d gradient is
 * far slower); the sparse model is twice as wide with as many parameters.
 */
export const VARIANTS = {
  'dense': {channels: 32, density: 1},
  'sparse': {channels: 64, density: 1 / 4},
};

/** 1 where a tap may see the pixel: rows above, and left of the centre (type A) or up to it (type B). */
function causalMask(kernel, includeCentre) {
  const centre = (kernel - 1) / 2;
  const values = [];
  for (let r = 0; r < kernel; r++) {
    for (let c = 0; c < kernel; c++) {
      values.push(r < centre || (r === centre && (c < centre || (includeCentre && c === centre))) ? 1 : 0);
    }
  }
  return values;
}

export class PixelCNN {
  constructor(variant, layouts, weights) {
    this.variant = variant;
    this.layouts = layouts;
    this.weights = weights;
    this.firstMask = tf.tensor4d(causalMask(FIRST_KERNEL, false), [FIRST_KERNEL, FIRST_KERNEL, 1, 1]);
    this.hiddenMask = tf.tensor5d(causalMask(HIDDEN_KERNEL, true), [1, HIDDEN_KERNEL, HIDDEN_KERNEL, 1, 1]);
  }

  static create(variant, seed) {
    const {channels, density} = VARIANTS[variant];
    const random = core.seededRandom(seed);
    const normal = (shape, fanIn) => tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', Math.floor(random() * 1e9)));
    const layouts = Array.from({length: HIDDEN_LAYERS}, (_, i) => core.randomLayout(
        {inputSize: channels, outputSize: channels, blockSize: BLOCK_SIZE, density, seed: seed + i}));
    // Half of a 3x3 type-B mask's taps are open: fan-in counts only those, and only kept blocks.
    const hiddenFanIn = 5 * channels * density;
    const weights = {
      firstFilter: normal([FIRST_KERNEL, FIRST_KERNEL, 1, channels], 12),
      firstBias: tf.variable(tf.zeros([channels])),
      ...Object.fromEntries(layouts.flatMap((layout, i) => [
        [`hidden${i}Filter`, normal([layout.nnz, HIDDEN_KERNEL, HIDDEN_KERNEL, BLOCK_SIZE, BLOCK_SIZE], hiddenFanIn)],
        [`hidden${i}Bias`, tf.variable(tf.zeros([channels]))],
      ])),
      outFilter: tf.variable(tf.zeros([1, 1, channels, 1])),
      outBias: tf.variable(tf.fill([1], -1.7)),
    };
    return new PixelCNN(variant, layouts, weights);
  }

  get params() {
    const masked = (name, w) => name.startsWith('hidden') && name.endsWith('Filter') ? w.size * 5 / 9 : name === 'firstFilter' ? w.size * 12 / 25 : w.size;
    return Object.entries(this.weights).reduce((n, [name, w]) => n + masked(name, w), 0);
  }

  /** x [batch, SIZE, SIZE, 1] of 0/1 -> each pixel's Bernoulli logit, from the pixels before it only. */
  logits(x) {
    return tf.tidy(() => {
      const w = this.weights;
      let h = tf.relu(tf.add(tf.conv2d(x, tf.mul(w.firstFilter, this.firstMask), 1, 'same'), w.firstBias));
      this.layouts.forEach((layout, i) => {
        const filter = tf.mul(w[`hidden${i}Filter`], this.hiddenMask);
        h = tf.add(h, tf.relu(tf.add(core.blockSparseConv2d(h, filter, layout, 1, 'same'), w[`hidden${i}Bias`])));
      });
      return tf.add(tf.conv2d(h, w.outFilter, 1, 'valid'), w.outBias);
    });
  }

  /** Mean negative log-likelihood in bits per pixel. */
  bitsPerDimension(x) {
    return tf.tidy(() => tf.div(tf.losses.sigmoidCrossEntropy(x, this.logits(x)), Math.LN2));
  }

  /**
   * Draws `count` images pixel by pixel; onRow(images, row) after each row.
   * With `given` (count images) and `fromRow`, rows above fromRow are kept
   * as given and the rest is sampled: the model completes them.
   */
  async sample(count, random, onRow, {given = null, fromRow = 0} = {}) {
    const images = given == null ? new Float32Array(count * SIZE * SIZE) : Float32Array.from(given);
    for (let r = fromRow; r < SIZE; r++) {
      for (let c = 0; c < SIZE; c++) {
        const probs = tf.tidy(() => tf.sigmoid(tf.slice(this.logits(tf.tensor4d(images, [count, SIZE, SIZE, 1])), [0, r, c, 0], [count, 1, 1, 1])));
        const p = await probs.data();
        probs.dispose();
        p.forEach((pk, k) => {
          images[k * SIZE * SIZE + r * SIZE + c] = random() < pk ? 1 : 0;
        });
      }
      onRow?.(images, r);
    }
    return images;
  }

  /** tfjs's weight encoding plus the layouts: weights.json and weights.bin. */
  async toArtifacts() {
    const {data, specs} = await tf.io.encodeWeights(this.weights);
    return {
      json: {format: 'tfjs-blocksparse-example-pixelcnn', variant: this.variant, layouts: this.layouts.map(l => l.toJSON()), weightSpecs: specs},
      data,
    };
  }

  static fromArtifacts(json, data) {
    if (json.format !== 'tfjs-blocksparse-example-pixelcnn' || !(json.variant in VARIANTS)) {
      throw new Error(`not a PixelCNN of this example: format ${json.format}, variant ${json.variant}`);
    }
    const tensors = tf.io.decodeWeights(data, json.weightSpecs);
    const weights = Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, tf.variable(t)]));
    tf.dispose(Object.values(tensors));
    return new PixelCNN(json.variant, json.layouts.map(l => core.BlockLayout.fromJSON(l)), weights);
  }

  dispose() {
    tf.dispose([...Object.values(this.weights), this.firstMask, this.hiddenMask]);
  }
}

/** Bits per pixel of independent Bernoulli pixels with the training set's per-pixel frequencies: the floor any model should beat. */
export function independentPixelBits(train, test) {
  const pixels = SIZE * SIZE;
  const ones = new Float64Array(pixels);
  for (let i = 0; i < train.images.length; i++) {
    ones[i % pixels] += train.images[i];
  }
  let bits = 0;
  for (let i = 0; i < test.images.length; i++) {
    const p = Math.min(Math.max(ones[i % pixels] / train.count, 1e-3), 1 - 1e-3);
    bits -= Math.log2(test.images[i] ? p : 1 - p);
  }
  return bits / test.images.length;
}
