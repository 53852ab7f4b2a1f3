// Whether samples look like digits, measured rather than eyed. A sample is
// digit-like when some training digit differs from it in no more pixels than
// real test digits differ from theirs (at most the test digits' 90th
// percentile of that distance); scribbles are far from every digit. A small
// dense classifier then names the digit-like samples, showing whether the
// model draws all ten digits or a few.
import tf from '@tensorflow/tfjs';

import {PIXELS} from './data.mjs';

const TEST_QUANTILE = 0.9;
const WORDS = Math.ceil(PIXELS / 32);

/** Each image's 196 pixels as bits, WORDS 32-bit words per image. */
function packBits(images, count) {
  const bits = new Uint32Array(count * WORDS);
  for (let k = 0; k < count; k++) {
    for (let p = 0; p < PIXELS; p++) {
      if (images[k * PIXELS + p]) {
        bits[k * WORDS + (p >> 5)] |= 1 << (p & 31);
      }
    }
  }
  return bits;
}

function popcount(v) {
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * A function giving, for each of `count` images, how many pixels it differs
 * in from its nearest digit of `train` ({images, count}).
 */
export function nearestTrainingDigit(train) {
  const reference = packBits(train.images, train.count);
  return (images, count) => {
    const bits = packBits(images, count);
    return Array.from({length: count}, (_, k) => {
      let best = PIXELS;
      for (let t = 0; t < train.count && best > 0; t++) {
        let d = 0;
        for (let w = 0; w < WORDS; w++) {
          d += popcount(bits[k * WORDS + w] ^ reference[t * WORDS + w]);
        }
        best = Math.min(best, d);
      }
      return best;
    });
  };
}

/** The largest distance a digit-like image may have: the test digits' TEST_QUANTILE of theirs. */
export function digitLikeDistance(testDistances) {
  const sorted = testDistances.slice().sort((a, b) => a - b);
  return sorted[Math.floor(TEST_QUANTILE * (sorted.length - 1))];
}

/** A dense classifier trained on `train` in a seeded order; returns it and its accuracy on `test`. */
export async function trainDigitClassifier(train, test, seed) {
  const init = k => tf.initializers.heNormal({seed: seed + k});
  const classifier = tf.sequential({
    layers: [
      tf.layers.dense({inputShape: [PIXELS], units: 256, activation: 'relu', kernelInitializer: init(0)}),
      tf.layers.dropout({rate: 0.3, seed}),
      tf.layers.dense({units: 10, activation: 'softmax', kernelInitializer: init(1)}),
    ]
  });
  classifier.compile({optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy'});
  // MNIST's digits come in no class order: fit need not shuffle them.
  const x = tf.tensor2d(Float32Array.from(train.images), [train.count, PIXELS]);
  const y = tf.tensor1d(Float32Array.from(train.labels));
  await classifier.fit(x, y, {epochs: 2, batchSize: 64, shuffle: false, verbose: 0});
  tf.dispose([x, y]);
  const predicted = await classify(classifier, test.images, test.count);
  return {classifier, accuracy: predicted.filter((digit, i) => digit === test.labels[i]).length / test.count};
}

/** Each image's most likely digit. */
export async function classify(classifier, images, count) {
  const digits =
      tf.tidy(() => tf.argMax(classifier.predict(tf.tensor2d(Float32Array.from(images.subarray(0, count * PIXELS)), [count, PIXELS])), 1));
  const values = await digits.data();
  digits.dispose();
  return Array.from(values);
}
