// What the examples' Node training scripts share: cpu backend, flags,
// seeded batches, saving and the results file the README quotes.
import {mkdirSync, rmSync, writeFileSync} from 'node:fs';
import {parseArgs} from 'node:util';

import tf from '@tensorflow/tfjs';
import '@tfjs-blocksparse/backend-cpu';
import converter from '@tfjs-blocksparse/converter';
import core from '@tfjs-blocksparse/core';

/**
 * --steps N: training steps per variant; --quick: a few steps on a small
 * evaluation set, failing unless the loss went down (what CI runs);
 * --out DIR: where weights and results go (default: the example's pretrained/).
 */
export async function setUp(exampleUrl, defaults) {
  const {values} = parseArgs({options: {
    steps: {type: 'string'}, quick: {type: 'boolean', default: false}, out: {type: 'string'},
    variants: {type: 'string'},
  }});
  await tf.setBackend('cpu');
  const quick = values.quick;
  const steps = Number(values.steps ?? (quick ? defaults.quickSteps : defaults.steps));
  if (!Number.isInteger(steps) || steps <= 0) {
    throw new Error(`--steps must be a positive integer, got ${values.steps}`);
  }
  const out = values.out ?? new URL('pretrained', exampleUrl).pathname;
  const variants = values.variants?.split(',') ?? defaults.variants;
  for (const v of variants) {
    if (!defaults.variants.includes(v)) {
      throw new Error(`unknown variant ${v}: expected one of ${defaults.variants.join(', ')}`);
    }
  }
  mkdirSync(out, {recursive: true});
  return {steps, quick, out, variants};
}

/** A seeded stream of batches of row indices, reshuffled each epoch. */
export function batchIndices(n, batchSize, seed) {
  const random = core.seededRandom(seed);
  let order = [];
  return () => {
    if (order.length < batchSize) {
      const fresh = Array.from({length: n}, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [fresh[i], fresh[j]] = [fresh[j], fresh[i]];
      }
      order = order.concat(fresh);
    }
    return order.splice(0, batchSize);
  };
}

export function gatherRows(data, rowLength, indices) {
  const out = new data.constructor(indices.length * rowLength);
  indices.forEach((r, i) => out.set(data.subarray(r * rowLength, (r + 1) * rowLength), i * rowLength));
  return out;
}

export async function saveLayersModel(model, dir) {
  rmSync(dir, {recursive: true, force: true});
  await model.save(converter.saveTo(dir));
}

/** Throws unless training lowered the held-out loss: the check CI runs on a small budget. */
export function checkLossDecreased(name, before, after) {
  if (!(after < before)) {
    throw new Error(`${name}: held-out loss did not decrease (${before.toFixed(4)} -> ${after.toFixed(4)})`);
  }
  console.log(`${name}: held-out loss ${before.toFixed(4)} -> ${after.toFixed(4)}`);
}

export function writeResults(out, results) {
  const path = `${out}/results.json`;
  writeFileSync(path, JSON.stringify(results, null, 2) + '\n');
  console.log(`wrote ${path}`);
}

export function countParams(model) {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
}
