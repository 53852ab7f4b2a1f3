// Whole-model benchmark, shared by the Node and browser runners: what a user
// waits for, a model's predict (for the generators, one sampling step: the
// forward pass and the read-back of its output), dense and block-sparse, at
// batch 1 and 16. The pairs are the ones the demo pages compare, a CNN
// converted with sparsifyModel, and one LSTM step.
import tf from '@tensorflow/tfjs';
import layers from '@tfjs-blocksparse/layers';

import {PixelCNN} from '../../examples/image/model.mjs';
import {SIZE as IMAGE_SIZE} from '../../examples/image/data.mjs';
import {buildModel as buildSentimentModel} from '../../examples/sentiment/model.mjs';
import {FEATURES} from '../../examples/sentiment/data.mjs';
import {buildModel as buildTextModel} from '../../examples/text/model.mjs';
import {ALPHABET, CONTEXT} from '../../examples/text/data.mjs';

export const MODEL_BATCHES = [1, 16];
const MIN_SAMPLE_MS = 200;
const MAX_CALLS_PER_SAMPLE = 100;

/** The converted CNN: a small image classifier whose convs and hidden dense layer can be made block-sparse. */
export function buildCnn(seed = 1) {
  const init = i => tf.initializers.heNormal({seed: seed + i});
  return tf.sequential({layers: [
    tf.layers.conv2d({inputShape: [32, 32, 3], filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(0), name: 'conv1'}),
    tf.layers.conv2d({filters: 64, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1), name: 'conv2'}),
    tf.layers.maxPooling2d({poolSize: 2, name: 'pool1'}),
    tf.layers.conv2d({filters: 128, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(2), name: 'conv3'}),
    tf.layers.maxPooling2d({poolSize: 2, name: 'pool2'}),
    tf.layers.flatten({name: 'flatten'}),
    tf.layers.dense({units: 512, activation: 'relu', kernelInitializer: init(3), name: 'hidden'}),
    tf.layers.dense({units: 10, kernelInitializer: init(4), name: 'logits'}),
  ]});
}

/** The sizes of the LSTM step: a 1024-unit LSTM over 256 inputs; the sparse cell keeps 1/8 of 32x32 blocks. */
const LSTM = {inputSize: 256, units: 1024, density: 1 / 8, blockSize: 32};

// The default orthogonal initializer takes minutes for a 1024 x 4096 matrix on cpu; timing does not depend on the values.
const recurrentInitializer = 'glorotUniform';

function lstmModel(cell) {
  return tf.sequential({layers: [tf.layers.rnn({cell, inputShape: [1, LSTM.inputSize], name: 'rnn'})]});
}

/**
 * The model pairs: each makes its dense and sparse model (both with a
 * dispose method), an input for a batch size, and `call`, the work of one
 * step, returning the tensor the user reads. `cnn` is the converted pair of
 * LayersModels (converted in Node, where sparsifyModel runs), or null.
 */
function modelPairs(cnn) {
  const codes = b => tf.tensor(Array.from({length: b * CONTEXT}, (_, i) => (i * 7) % ALPHABET.length), [b, CONTEXT], 'int32');
  const uniform = shape => tf.randomUniform(shape, 0, 1, 'float32', 1);
  const predict = (model, x) => model.predict(x);
  return [
    {
      name: 'sentiment', what: 'predict: bag of words -> hidden ReLU (dense 128 units; block-sparse 512 units, 1/4 of 32x32) -> p(positive)',
      input: b => uniform([b, FEATURES]),
      make: () => ({dense: buildSentimentModel('dense', 1), sparse: buildSentimentModel('sparse-same-params', 1)}),
      call: predict,
    },
    {
      name: 'text', what: 'one sampling step: 32 characters -> two hidden ReLU layers (dense 256 units; block-sparse 640, 1/4 of 32x32) -> next-character logits',
      input: codes,
      make: () => ({dense: buildTextModel('dense', 1), sparse: buildTextModel('sparse', 1)}),
      call: predict,
    },
    {
      name: 'image', what: 'one sampling step: PixelCNN over a 14x14 image (dense 32 channels; block-sparse 64, 1/4 of 8x8) -> one pixel\'s probability',
      input: b => tf.tidy(() => tf.round(uniform([b, IMAGE_SIZE, IMAGE_SIZE, 1]))),
      make: () => ({dense: PixelCNN.create('dense', 1), sparse: PixelCNN.create('sparse', 1)}),
      call: (model, x) => tf.tidy(() => tf.sigmoid(tf.slice(model.logits(x), [0, 7, 7, 0], [x.shape[0], 1, 1, 1]))),
    },
    ...(cnn == null ? [] : [{
      name: 'cnn', what: 'predict: a 32x32x3 CNN (3 convs, dense 8192->512->10) converted by sparsifyModel at 1/4 of 16x16 blocks (first conv stays dense: 3 channels)',
      input: b => uniform([b, 32, 32, 3]),
      make: () => cnn,
      call: predict,
    }]),
    {
      name: 'lstm', what: `one step of a ${LSTM.units}-unit LSTM over ${LSTM.inputSize} inputs (tf.layers.lstmCell; BlockSparseLSTMCell, 1/8 of 32x32, small-world)`,
      input: b => uniform([b, 1, LSTM.inputSize]),
      make: () => ({
        dense: lstmModel(tf.layers.lstmCell({units: LSTM.units, recurrentInitializer})),
        sparse: lstmModel(layers.blockSparseLSTMCell({units: LSTM.units, recurrentInitializer, density: LSTM.density, blockSize: LSTM.blockSize, layoutKind: 'smallWorld', seed: 1})),
      }),
      call: predict,
    },
  ];
}

/**
 * One sample: calls of fn, each read back (as a demo does with every
 * prediction), repeated for at least MIN_SAMPLE_MS; ms per call.
 */
async function sample(fn, calls) {
  const start = performance.now();
  for (let i = 0; i < calls; i++) {
    const out = fn();
    await out.data();
    out.dispose();
  }
  return (performance.now() - start) / calls;
}

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return {median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1]};
}

/**
 * Rows {model, what, batch, dense: {median, min, max}, sparse: {...},
 * speedup, denseParams, sparseParams} in ms per call; dense and sparse
 * samples alternate, so that a slow spell of the machine falls on both.
 */
export async function runModelBenchmarks({cnn = null, runs = 5, batches = MODEL_BATCHES, log = () => {}} = {}) {
  const rows = [];
  for (const pair of modelPairs(cnn)) {
    const models = pair.make();
    for (const batch of batches) {
      const x = pair.input(batch);
      const fns = [() => pair.call(models.dense, x), () => pair.call(models.sparse, x)];
      const calls = [];
      for (const fn of fns) {
        await sample(fn, 1);  // compiles the programs
        calls.push(Math.min(MAX_CALLS_PER_SAMPLE, Math.max(1, Math.ceil(MIN_SAMPLE_MS / await sample(fn, 1)))));
      }
      const times = [[], []];
      for (let r = 0; r < runs; r++) {
        for (let i = 0; i < 2; i++) {
          times[i].push(await sample(fns[i], calls[i]));
        }
      }
      x.dispose();
      const [d, s] = times.map(stats);
      const row = {model: pair.name, what: pair.what, batch, dense: d, sparse: s, speedup: d.median / s.median};
      rows.push(row);
      log(row);
    }
    models.dense.dispose();
    models.sparse.dispose();
  }
  return rows;
}

/** Where the converted CNN's two models are saved (served to the browser runs from the repository). */
export const CNN_DIRECTORY = 'bench-results/models/cnn';

/**
 * Converts buildCnn's model at 1/4 with the converter (Node only) and saves
 * both, as tfjs model.json + weights, to CNN_DIRECTORY/{dense,sparse} through
 * the given save handler factory (the converter's saveTo).
 */
export async function convertCnn(sparsifyModel, saveTo) {
  const dense = buildCnn();
  const {model: sparse} = await sparsifyModel(dense, {density: 1 / 4, blockSize: 16});
  await dense.save(saveTo(`${CNN_DIRECTORY}/dense`));
  await sparse.save(saveTo(`${CNN_DIRECTORY}/sparse`));
  dense.dispose();
  sparse.dispose();
}

/** The converted CNN pair, read through `handler(path)`: a URL prefix in a page, the converter's loadFrom in Node. */
export async function loadCnn(handler) {
  const load = variant => tf.loadLayersModel(handler(`${CNN_DIRECTORY}/${variant}/model.json`));
  return {dense: await load('dense'), sparse: await load('sparse')};
}
