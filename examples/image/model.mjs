// A small PixelCNN (van den Oord et al., 2016) on 14x14 binary digits:
// masked convolutions make each pixel's Bernoulli logit depend only on the
// pixels above and to its left, so the model gives exact likelihoods and
// draws samples pixel by pixel. Its hidden 3x3 convolutions are block-sparse
// over (input x output channel) blocks; they use the ops directly, with
// the mask multiplied into the packed filter. The first layer (one input
// channel) and the output layer are matmuls over shifted copies and pixels:
// every op then has a gradient on tfjs-backend-wasm, which lacks
// Conv2DBackpropFilter, so the models train there.
import tf from '@tensorflow/tfjs';
import core from '@tfjs-blocksparse/core';

import {SIZE} from './data.mjs';

export const BLOCK_SIZE = 8;
/** Eight 3x3 layers after a 7x7 one see 11 rows up: most of a 14-pixel digit (3 layers and 5x5 drew strokes, not digits). */
const HIDDEN_LAYERS = 8;
const FIRST_KERNEL = 7;
const HIDDEN_KERNEL = 3;
const EVALUATION_CHUNK = 1000;
/**
 * The dense baselines run tf.conv2d, what a user would pick; the sparse model
 * is the big one's width with the small one's parameters, cut from the
 * trained big model (`prunedFrom`: its strongest blocks) and trained on.
 */
export const VARIANTS = {
  'big': {channels: 64, density: 1},
  'sparse': {channels: 64, density: 1 / 4, prunedFrom: 'big'},
  'dense': {channels: 32, density: 1},
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

/** The [row, column] offsets of a type-A kernel's open taps: the first layer's inputs. */
const FIRST_TAPS = causalMask(FIRST_KERNEL, false).flatMap((open, i) => open ? [[Math.floor(i / FIRST_KERNEL), i % FIRST_KERNEL]] : []);

/** x [batch, SIZE, SIZE, 1] -> [batch * SIZE * SIZE, taps]: each pixel's causal neighbours, zero outside the image. */
function causalNeighbours(x) {
  const half = (FIRST_KERNEL - 1) / 2;
  const padded = tf.pad(x, [[0, 0], [half, 0], [half, half], [0, 0]]);
  const shifted = FIRST_TAPS.map(([r, c]) => tf.slice(padded, [0, r, c, 0], [-1, SIZE, SIZE, 1]));
  return tf.reshape(tf.concat(shifted, 3), [-1, FIRST_TAPS.length]);
}

export class PixelCNN {
  constructor(variant, layouts, weights) {
    this.variant = variant;
    this.layouts = layouts;
    this.weights = weights;
    // Broadcasts over a dense filter [3, 3, C, C] and a packed one [nnz, 3, 3, bs, bs] alike.
    this.hiddenMask = tf.tensor4d(causalMask(HIDDEN_KERNEL, true), [HIDDEN_KERNEL, HIDDEN_KERNEL, 1, 1]);
  }

  static create(variant, seed) {
    const {channels, density} = VARIANTS[variant];
    const random = core.seededRandom(seed);
    // A variable from its initial value, which goes once the variable holds it.
    const variable = initial => tf.tidy(() => tf.variable(initial()));
    const normal = (shape, fanIn) => variable(() => tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', Math.floor(random() * 1e9)));
    const layouts = Array.from(
        {length: HIDDEN_LAYERS},
        (_, i) => core.randomLayout({inputSize: channels, outputSize: channels, blockSize: BLOCK_SIZE, density, seed: seed + i}));
    // Half of a 3x3 type-B mask's taps are open: fan-in counts only those, and only kept blocks.
    const hiddenFanIn = 5 * channels * density;
    const hiddenShape = layout => density === 1 ? [HIDDEN_KERNEL, HIDDEN_KERNEL, channels, channels] :
                                                  [layout.nnz, HIDDEN_KERNEL, HIDDEN_KERNEL, BLOCK_SIZE, BLOCK_SIZE];
    const weights = {
      firstFilter: normal([FIRST_TAPS.length, channels], FIRST_TAPS.length),
      firstBias: variable(() => tf.zeros([channels])),
      ...Object.fromEntries(layouts.flatMap(
          (layout, i) => [
              [`hidden${i}Filter`, normal(hiddenShape(layout), hiddenFanIn)],
              [`hidden${i}Bias`, variable(() => tf.zeros([channels]))],
    ])),
      outFilter: variable(() => tf.zeros([channels, 1])),
      outBias: variable(() => tf.fill([1], -1.7)),
    };
    return new PixelCNN(variant, layouts, weights);
  }

  /**
   * The `variant` model cut from this dense one: each hidden filter keeps its
   * blocks with the most weight on the taps the mask leaves open; the other
   * weights are copied.
   */
  pruned(variant) {
    const layouts = this.layouts.map((_, i) => {
      const masked = tf.mul(this.weights[`hidden${i}Filter`], this.hiddenMask);
      const layout = core.magnitudeLayout(masked, BLOCK_SIZE, VARIANTS[variant].density);
      masked.dispose();
      return layout;
    });
    const weights = Object.fromEntries(Object.entries(this.weights).map(([name, w]) => {
      const layer = /^hidden(\d+)Filter$/.exec(name);
      return [name, tf.tidy(() => tf.variable(layer == null ? w : core.sparsify(w, layouts[Number(layer[1])])))];
    }));
    return new PixelCNN(variant, layouts, weights);
  }

  get params() {
    const masked = (name, w) => name.startsWith('hidden') && name.endsWith('Filter') ? w.size * 5 / 9 : w.size;
    return Object.entries(this.weights).reduce((n, [name, w]) => n + masked(name, w), 0);
  }

  /**
   * x [batch, SIZE, SIZE, 1] of 0/1 -> each pixel's Bernoulli logit, from the
   * pixels before it only. `training`: for gradients on every backend.
   */
  logits(x, {training = false} = {}) {
    return tf.tidy(() => {
      const w = this.weights;
      const channels = w.firstBias.size;
      let h = tf.relu(tf.add(tf.reshape(tf.matMul(causalNeighbours(x), w.firstFilter), [-1, SIZE, SIZE, channels]), w.firstBias));
      this.layouts.forEach((layout, i) => {
        h = tf.add(h, tf.relu(tf.add(this.hiddenConv(h, i, training), w[`hidden${i}Bias`])));
      });
      return tf.reshape(tf.add(tf.matMul(tf.reshape(h, [-1, channels]), w.outFilter), w.outBias), [-1, SIZE, SIZE, 1]);
    });
  }

  /** Hidden layer i's masked 3x3 'same' convolution of h. */
  hiddenConv(h, i, training) {
    const layout = this.layouts[i];
    const filter = tf.mul(this.weights[`hidden${i}Filter`], this.hiddenMask);
    if (filter.rank === 5) {
      return core.blockSparseConv2d(h, filter, layout, 1, 'same');
    }
    // The dense model trains its filter through the block-sparse kernel with every block kept (written when
    // tfjs-backend-wasm had no conv2d filter gradient; kept so that the committed weights retrain bit for bit).
    return training ? core.blockSparseConv2d(h, core.sparsify(filter, layout), layout, 1, 'same') : tf.conv2d(h, filter, 1, 'same');
  }

  /** Mean negative log-likelihood in bits per pixel. */
  bitsPerDimension(x, {training = false} = {}) {
    return tf.tidy(() => tf.div(tf.losses.sigmoidCrossEntropy(x, this.logits(x, {training})), Math.LN2));
  }

  /**
   * Mean bits per pixel over images [n, SIZE, SIZE, 1], read back: a thousand
   * images at a time (10,000 at once overflow the wasm heap).
   */
  async meanBits(images) {
    const count = images.shape[0];
    let sum = 0;
    for (let start = 0; start < count; start += EVALUATION_CHUNK) {
      const size = Math.min(EVALUATION_CHUNK, count - start);
      const bits = tf.tidy(() => tf.mul(this.bitsPerDimension(tf.slice(images, start, size)), size));
      sum += (await bits.data())[0];
      bits.dispose();
    }
    return sum / count;
  }

  /**
   * Draws `count` images pixel by pixel; awaits onRow(images, row) after each
   * row (a page yields a frame there), calls onPixel(done, total) after each pixel. With `given` (count images) and
   * `fromRow`, rows above fromRow are kept as given and the rest is sampled:
   * the model completes them. An aborted `signal` stops it between pixels
   * (the pixels not drawn stay 0).
   */
  async sample(count, random, onRow, {given = null, fromRow = 0, onPixel, signal} = {}) {
    const images = given == null ? new Float32Array(count * SIZE * SIZE) : Float32Array.from(given);
    const total = (SIZE - fromRow) * SIZE;
    for (let r = fromRow; r < SIZE; r++) {
      for (let c = 0; c < SIZE; c++) {
        if (signal?.aborted) {
          return images;
        }
        const probs =
            tf.tidy(() => tf.sigmoid(tf.slice(this.logits(tf.tensor4d(images, [count, SIZE, SIZE, 1])), [0, r, c, 0], [count, 1, 1, 1])));
        const p = await probs.data();
        probs.dispose();
        p.forEach((pk, k) => {
          images[k * SIZE * SIZE + r * SIZE + c] = random() < pk ? 1 : 0;
        });
        onPixel?.((r - fromRow) * SIZE + c + 1, total);
      }
      await onRow?.(images, r);
    }
    return images;
  }

  /** tfjs's weight encoding plus the layouts: weights.json and weights.bin. */
  async toArtifacts() {
    const {data, specs} = await tf.io.encodeWeights(this.weights);
    return {
      json: {
        format: 'tfjs-blocksparse-example-pixelcnn',
        variant: this.variant,
        layouts: this.layouts.map(l => l.toJSON()),
        weightSpecs: specs
      },
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
    tf.dispose([...Object.values(this.weights), this.hiddenMask]);
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
