// Draws samples from each trained PixelCNN and judges how digit-like they are
// (judge.mjs); writes samples.json beside the weights, which docs/demos.md and the
// page quote:
//   node examples/image/evaluate.mjs [--out DIR] [--backend wasm|cpu] [--variants a,b]
// --variants: only these models (the others' results already in samples.json are kept).
import {parseArgs} from 'node:util';

import core from '@tfjs-blocksparse/core';

import {parseVariants, readWeightFiles, setBackend, writeResults} from '../shared/node.mjs';

import {loadDigits} from './data.mjs';
import {classify, digitLikeDistance, nearestTrainingDigit, trainDigitClassifier} from './judge.mjs';
import {PixelCNN, VARIANTS} from './model.mjs';

const SEED = 1;
const SAMPLES = 100;
/** The digit-like distance is the 90th percentile over this many test digits (each compared with all 60,000 training digits). */
const JUDGED_TEST_DIGITS = 1000;

const {values} = parseArgs({options: {out: {type: 'string'}, backend: {type: 'string', default: 'wasm'}, variants: {type: 'string'}}});
const variants = parseVariants(values.variants, Object.keys(VARIANTS));
await setBackend(values.backend);
const out = values.out ?? new URL('pretrained', import.meta.url).pathname;
const {train, test} = await loadDigits();
const nearest = nearestTrainingDigit(train);
const testDistances = nearest(test.images, JUDGED_TEST_DIGITS);
const distance = digitLikeDistance(testDistances);
const {classifier, accuracy} = await trainDigitClassifier(train, test, SEED);
const results = {
  samples: SAMPLES,
  seed: SEED,
  digitLikeDistance: distance,
  testDigitsDigitLike: testDistances.filter(d => d <= distance).length / JUDGED_TEST_DIGITS,
  classifierTestAccuracy: accuracy,
  variants: {},
};
console.log(`digit-like: within ${distance} pixels of a training digit; the classifier's test accuracy ${accuracy.toFixed(3)}`);
for (const variant of variants) {
  const {json, data} = readWeightFiles(`${out}/${variant}`);
  const model = PixelCNN.fromArtifacts(json, data);
  const images = await model.sample(SAMPLES, core.seededRandom(SEED));
  const distances = nearest(images, SAMPLES);
  const copies = distances.filter(d => d === 0).length;
  const digits = (await classify(classifier, images, SAMPLES)).filter((_, k) => distances[k] <= distance);
  const perDigit = Array.from({length: 10}, (_, d) => digits.filter(x => x === d).length);
  results.variants[variant] = {digitLike: digits.length / SAMPLES, exactCopies: copies, digitLikeByClass: perDigit};
  console.log(
      `${variant}: ${digits.length} of ${SAMPLES} samples digit-like (per digit 0-9: ${perDigit.join(' ')}), ${copies} exact copies`);
  model.dispose();
}
writeResults(out, results, 'samples.json');
process.exit(0);
