// What the examples' Node training scripts share: backend (cpu or wasm), flags,
// seeded batches, saving and the results file docs/demos.md quotes.
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {parseArgs} from 'node:util';

import tf from '@tensorflow/tfjs';
import '@tfjs-blocksparse/backend-cpu';
import converter from '@tfjs-blocksparse/converter';
import core from '@tfjs-blocksparse/core';

/**
 * --steps N: training steps per variant; --quick: a few steps on a small
 * evaluation set, failing unless the loss went down (what CI runs);
 * --out DIR: where weights and results go (default: the example's pretrained/);
 * --variants a,b: train only these (results of the others in --out are kept);
 * --backend cpu|wasm: wasm (tfjs-backend-wasm with this project's kernels) is
 * several times faster where every op a model needs has a wasm kernel;
 * --seed N: the seed of the models' first weights and of the batch order
 * (default 1, the committed models'; the data split keeps its own), to see
 * how much a result moves from one training to the next.
 */
export async function setUp(exampleUrl, defaults) {
  const {values} = parseArgs({
    options: {
      steps: {type: 'string'},
      quick: {type: 'boolean', default: false},
      out: {type: 'string'},
      variants: {type: 'string'},
      backend: {type: 'string', default: defaults.backend ?? 'cpu'},
      seed: {type: 'string', default: '1'},
    }
  });
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) {
    throw new Error(`--seed must be an integer, got ${values.seed}`);
  }
  await setBackend(values.backend);
  const quick = values.quick;
  const steps = Number(values.steps ?? (quick ? defaults.quickSteps : defaults.steps));
  if (!Number.isInteger(steps) || steps <= 0) {
    throw new Error(`--steps must be a positive integer, got ${values.steps}`);
  }
  const out = values.out ?? new URL('pretrained', exampleUrl).pathname;
  const variants = parseVariants(values.variants, defaults.variants);
  mkdirSync(out, {recursive: true});
  return {steps, quick, out, variants, backend: values.backend, seed};
}

/** The variants a --variants flag names (all of `known` without one); an unknown one is refused. */
export function parseVariants(flag, known) {
  const variants = flag?.split(',') ?? known;
  for (const v of variants) {
    if (!known.includes(v)) {
      throw new Error(`unknown variant ${v}: expected one of ${known.join(', ')}`);
    }
  }
  return variants;
}

export async function setBackend(name) {
  if (name === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    const {default: blockSparseWasm} = await import('@tfjs-blocksparse/backend-wasm');
    await blockSparseWasm.blockSparseWasmReady();
  } else if (name !== 'cpu') {
    throw new Error(`--backend must be cpu or wasm, got ${name}`);
  }
  if (!(await tf.setBackend(name))) {
    throw new Error(`the ${name} backend could not be initialised`);
  }
}

/** A seeded stream of batches of row indices, reshuffled each epoch. */
export function batchIndices(n, batchSize, seed) {
  const random = core.seededRandom(seed);
  let order = [];
  return () => {
    if (order.length < batchSize) {
      order = order.concat(core.shuffleInPlace(Array.from({length: n}, (_, i) => i), random));
    }
    return order.splice(0, batchSize);
  };
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

/** Writes `file` (results.json), keeping the variants a run with --variants did not cover (when their settings match). */
export function writeResults(out, results, file = 'results.json') {
  const path = `${out}/${file}`;
  const {variants: _, ...settings} = results;
  const previous = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null;
  const {variants: previousVariants = {}, ...previousSettings} = previous ?? {};
  const kept = JSON.stringify(previousSettings) === JSON.stringify(settings) ? previousVariants : {};
  const merged = {...results, variants: {...kept, ...results.variants}};
  writeFileSync(path, JSON.stringify(merged, null, 2) + '\n');
  console.log(`wrote ${path}`);
}

/** A model's weights.json (parsed) and weights.bin (an ArrayBuffer of its own) in `dir`. */
export function readWeightFiles(dir) {
  const data = readFileSync(`${dir}/weights.bin`);
  return {
    json: JSON.parse(readFileSync(`${dir}/weights.json`, 'utf8')),
    data: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)
  };
}

export function countParams(model) {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
}
