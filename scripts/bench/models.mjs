// Whole-model benchmark, shared by the Node and browser runners: what a user
// waits for, a model's predict (for the generators, one sampling step: the
// forward pass and the read-back of its output), dense and block-sparse, at
// batch 1 and 16. The demo models come in threes as their pages compare them
// (dense with the sparse model's parameters, block-sparse, and dense at the
// sparse model's width: "big"); the other pairs are models converted with the converter (a CNN, and the published models of
// scripts/published_models.cjs that are installed, at batch 1), and one LSTM step.
import tf from '@tensorflow/tfjs';
import '@tfjs-blocksparse/graph';
import layers from '@tfjs-blocksparse/layers';

import {PixelCNN} from '../../examples/image/model.mjs';
import {SIZE as IMAGE_SIZE} from '../../examples/image/data.mjs';
import {BLOCK_SIZE as SENTIMENT_BLOCK_SIZE, buildModel as buildSentimentModel, predictCodes, VARIANTS as SENTIMENT_VARIANTS} from '../../examples/sentiment/model.mjs';
import {INPUT_SIZE, MAX_TOKENS} from '../../examples/sentiment/data.mjs';
import {buildModel as buildTextModel, sampler} from '../../examples/text/model.mjs';
import {ALPHABET} from '../../examples/text/data.mjs';

import {medianKernelTime} from './cases.mjs';

export const MODEL_BATCHES = [1, 16];
const MIN_SAMPLE_MS = 200;
const MAX_CALLS_PER_SAMPLE = 2000;

/** The converted CNN: a small image classifier whose convs and hidden dense layer can be made block-sparse. */
export function buildCnn(seed = 1) {
  const init = i => tf.initializers.heNormal({seed: seed + i});
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [32, 32, 3],
        filters: 32,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init(0),
        name: 'conv1'
      }),
      tf.layers.conv2d({filters: 64, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1), name: 'conv2'}),
      tf.layers.maxPooling2d({poolSize: 2, name: 'pool1'}),
      tf.layers.conv2d({filters: 128, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(2), name: 'conv3'}),
      tf.layers.maxPooling2d({poolSize: 2, name: 'pool2'}),
      tf.layers.flatten({name: 'flatten'}),
      tf.layers.dense({units: 512, activation: 'relu', kernelInitializer: init(3), name: 'hidden'}),
      tf.layers.dense({units: 10, kernelInitializer: init(4), name: 'logits'}),
    ]
  });
}

/** The sizes of the LSTM step: a 1024-unit LSTM over 256 inputs; the sparse cell keeps 1/8 of 32x32 blocks. */
const LSTM = {
  inputSize: 256,
  units: 1024,
  density: 1 / 8,
  blockSize: 32
};

// The default orthogonal initializer takes minutes for a 1024 x 4096 matrix on cpu; timing does not depend on the values.
const recurrentInitializer = 'glorotUniform';

/** A text model that samples: step(codes) as the page's generator calls it; dispose frees the model and its state. */
function textStepper(model) {
  const step = sampler(model);
  return {
    step,
    dispose: () => {
      step.dispose();
      model.dispose();
    }
  };
}

function lstmModel(cell) {
  return tf.sequential({layers: [tf.layers.rnn({cell, inputShape: [1, LSTM.inputSize], name: 'rnn'})]});
}

/**
 * The model pairs: each makes its dense and sparse model (and for the demos
 * the big dense one; each with a dispose method), an input for a batch size, and `call`, the work of one
 * step, returning the tensor the user reads. `converted` are the pairs of
 * loadConverted (converted in Node, where the converter runs).
 */
function modelPairs(converted) {
  const codes = (n, range) => Int32Array.from({length: n}, (_, i) => (i * 7) % range);
  const uniform = shape => tf.randomUniform(shape, 0, 1, 'float32', 1);
  const predict = (model, x) => model.predict(x);
  return [
    {
      name: 'sentiment',
      what: `predict as the page does: ${MAX_TOKENS} words (embedding rows looked up) -> LSTM (dense ${
          SENTIMENT_VARIANTS.dense.units} units; block-sparse mLSTM ${SENTIMENT_VARIANTS.sparse.units} units, 1/${
          1 / SENTIMENT_VARIANTS.sparse.density} of ${SENTIMENT_BLOCK_SIZE}x${SENTIMENT_BLOCK_SIZE}; big: dense mLSTM ${
          SENTIMENT_VARIANTS.big.units} units) -> p(positive)`,
      input: b => tf.tensor1d(codes(b * MAX_TOKENS, INPUT_SIZE), 'int32'),
      make: () => ({dense: buildSentimentModel('dense', 1), sparse: buildSentimentModel('sparse', 1), big: buildSentimentModel('big', 1)}),
      call: predictCodes,
    },
    {
      name: 'text',
      what:
          'one sampling step: a character -> LSTM step (dense 240 units; block-sparse mLSTM 512 units, 1/8 of 32x32; big: dense mLSTM 512 units) -> next-character logits',
      input: b => tf.tensor1d(codes(b, ALPHABET.length), 'int32'),
      make: () => ({
        dense: textStepper(buildTextModel('dense', 1)),
        sparse: textStepper(buildTextModel('sparse', 1)),
        big: textStepper(buildTextModel('big', 1))
      }),
      call: (stepper, x) => stepper.step(x),
    },
    {
      name: 'image',
      what:
          'one sampling step: PixelCNN over a 14x14 image, 8 hidden 3x3 convs (dense 32 channels, tf.conv2d; block-sparse 64, 1/4 of 8x8; big: dense 64, tf.conv2d) -> one pixel\'s probability',
      input: b => tf.tidy(() => tf.round(uniform([b, IMAGE_SIZE, IMAGE_SIZE, 1]))),
      make: () => ({dense: PixelCNN.create('dense', 1), sparse: PixelCNN.create('sparse', 1), big: PixelCNN.create('big', 1)}),
      call: (model, x) => tf.tidy(() => tf.sigmoid(tf.slice(model.logits(x), [0, 7, 7, 0], [x.shape[0], 1, 1, 1]))),
    },
    ...converted.map(({name, what, inputShape, inputDtype = 'float32', batches, dense, sparse, int8, float16, bytes}) => ({
                       name,
                       what,
                       batches,
                       bytes,
                       make: () => ({dense, sparse, ...(int8 != null && {int8, float16})}),
                       call: predict,
                       // An int32 input (MoveNet's) takes pixel values.
                       input: b => inputDtype === 'int32' ? tf.tidy(() => tf.cast(tf.mul(uniform([b, ...inputShape]), 255), 'int32')) :
                                                            uniform([b, ...inputShape]),
                     })),
    {
      name: 'lstm',
      what: `one step of a ${LSTM.units}-unit LSTM over ${
          LSTM.inputSize} inputs (tf.layers.lstmCell; BlockSparseLSTMCell, 1/8 of 32x32, small-world)`,
      input: b => uniform([b, 1, LSTM.inputSize]),
      make: () => ({
        dense: lstmModel(tf.layers.lstmCell({units: LSTM.units, recurrentInitializer})),
        sparse: lstmModel(layers.blockSparseLSTMCell({
          units: LSTM.units,
          recurrentInitializer,
          density: LSTM.density,
          blockSize: LSTM.blockSize,
          layoutKind: 'smallWorld',
          seed: 1
        })),
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
    // Every output of a model with several (Human's faceres has three).
    const outs = [].concat(fn());
    await Promise.all(outs.map(out => out.data()));
    tf.dispose(outs);
  }
  return (performance.now() - start) / calls;
}

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return {median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1]};
}

/**
 * Where one call's time goes, by tfjs kernel (the project's kernels, tfjs's
 * FusedConv2D, FusedDepthwiseConv2D, Add, ...): ms summed over the call's
 * kernels as tf.profile times them (GPU time where the backend measures it),
 * largest first. The op wrappers tf.profile also lists (`name__op`) nest the
 * kernels and are left out.
 */
async function profileCall(fn) {
  const info = await tf.profile(() => fn());
  const byKernel = {};
  for (const kernel of info.kernels.filter(k => !k.name.endsWith('__op'))) {
    const ms = await kernel.kernelTimeMs;
    byKernel[kernel.name] = (byKernel[kernel.name] ?? 0) + (typeof ms === 'number' ? ms : 0);
  }
  tf.dispose(info.result);
  return Object.fromEntries(Object.entries(byKernel).sort((a, b) => b[1] - a[1]));
}

/**
 * Rows {model, what, batch, dense: {median, min, max}, sparse: {...},
 * speedup} in ms per call, and for a pair with a big model big: {...} and
 * speedupOverBig, for one with int8 and float16 blocks int8: {...}, int8Speedup (over
 * dense), int8OverFloat (over float32 blocks), float16: {...}, halfOverFloat and the models' weight bytes
 * (tf.memory) as bytes: {dense, sparse, int8, float16}; the models' samples alternate, so that a slow spell of the
 * machine falls on all of them.
 * Where the backend times kernels on the GPU (webgpu with timestamp queries), gpu: {dense, sparse, ...}, the
 * median GPU ms of one call of each, and gpuSpeedup.
 * With `profile`, each row also has {profile: {dense, sparse}}: ms by kernel
 * of one more call of each (profileCall).
 */
export async function runModelBenchmarks({converted = [], runs = 5, batches = MODEL_BATCHES, names, profile = false, log = () => {}} = {}) {
  const rows = [];
  for (const pair of modelPairs(converted).filter(p => names == null || names.includes(p.name))) {
    const models = pair.make();
    for (const batch of batches.filter(b => pair.batches?.includes(b) ?? true)) {
      const x = pair.input(batch);
      const names = Object.keys(models);
      const fns = names.map(name => () => pair.call(models[name], x));
      const calls = [];
      for (const fn of fns) {
        await sample(fn, 1);  // compiles the programs
        // Runs for about MIN_SAMPLE_MS (doubling the calls), so that the JIT has warmed up, and sizes a sample from it.
        let warmUp = 1, ms = await sample(fn, warmUp);
        while (warmUp * ms < MIN_SAMPLE_MS && warmUp < MAX_CALLS_PER_SAMPLE) {
          warmUp *= 2;
          ms = await sample(fn, warmUp);
        }
        calls.push(Math.min(MAX_CALLS_PER_SAMPLE, Math.max(1, Math.ceil(MIN_SAMPLE_MS / ms))));
      }
      const times = fns.map(() => []);
      for (let r = 0; r < runs; r++) {
        for (let i = 0; i < fns.length; i++) {
          times[i].push(await sample(fns[i], calls[i]));
        }
      }
      const ms = Object.fromEntries(names.map((name, i) => [name, stats(times[i])]));
      const row = {model: pair.name, what: pair.what, batch, ...ms, speedup: ms.dense.median / ms.sparse.median};
      if (ms.big != null) {
        row.speedupOverBig = ms.big.median / ms.sparse.median;
      }
      if (ms.int8 != null) {
        Object.assign(
            row, {int8Speedup: ms.dense.median / ms.int8.median, int8OverFloat: ms.sparse.median / ms.int8.median, bytes: pair.bytes});
      }
      if (ms.float16 != null) {
        row.halfOverFloat = ms.sparse.median / ms.float16.median;
      }
      // On webgpu with timestamp queries: the median GPU time of one call of each model, beside the wall times.
      const gpuMs = await Promise.all(fns.map(fn => medianKernelTime(tf, fn, runs)));
      if (gpuMs.every(t => t != null)) {
        row.gpu = Object.fromEntries(names.map((name, i) => [name, gpuMs[i]]));
        row.gpuSpeedup = row.gpu.dense / row.gpu.sparse;
      }
      if (profile) {
        row.profile = {
          dense: await profileCall(() => pair.call(models.dense, x)),
          sparse: await profileCall(() => pair.call(models.sparse, x))
        };
      }
      x.dispose();
      rows.push(row);
      log(row);
    }
    Object.values(models).forEach(model => model.dispose());
  }
  return rows;
}

/** 1/4 for a quarter, 1 for one: densities as the tables write them. */
const densityText = d => d === 1 ? '1' : `1/${Math.round(1 / d)}`;

/** Where converted pairs are saved, one folder each with dense/ and sparse/, and index.json listing them. */
export const CONVERTED_DIRECTORY = 'bench-results/models';

/** Where the published models that ship as JavaScript (nsfwjs's) are written as model.json and weights, once. */
const PUBLISHED_DIRECTORY = 'bench-results/published';

/**
 * Converts the CNN (16x16 blocks) and the installed published models (8x8:
 * their channel counts are multiples of 8, not 16) at `density` (1/4 by
 * default; with `onlyFaster`, only the layers timed faster on `timeOn`; layers whose names match `exclude` stay dense; with `names`, only
 * the models it names) with the converter (Node only; batch norms folded), saves each pair (converted weights as float32: the stored
 * encoding does not change the time; with `int8`, also the converted model with int8 blocks and with float16 blocks: converter.int8Blocks
 * and float16Blocks) and returns the index to write to CONVERTED_DIRECTORY/index.json. `converter` is @tfjs-blocksparse/converter;
 * `published` scripts/published_models.cjs.
 */
export async function convertModels(
    converter, published, {density = 1 / 4, onlyFaster = false, timeOn, exclude, int8 = false, blockSize = 8, names} = {}) {
  const wanted = name => names == null || names.includes(name);
  const {sparsifyModel, int8Blocks, float16Blocks, saveTo, loadFrom} = converter;
  const index = [];
  // `densePath`: where the dense model already is on disk (a published model), else it is saved beside the sparse one.
  const savePair = async (entry, dense, options, {densePath = null, saveOptions = {}} = {}) => {
    const {model: sparse, report} = await sparsifyModel(dense, options);
    const directory = `${CONVERTED_DIRECTORY}/${entry.name}`;
    if (densePath == null) {
      await dense.save(saveTo(`${directory}/dense`, saveOptions));
    }
    await sparse.save(saveTo(`${directory}/sparse`, saveOptions));
    if (int8) {
      for (const [format, blocksAs] of [['int8', int8Blocks], ['float16', float16Blocks]]) {
        const {model: quantized} = await blocksAs(sparse);
        await quantized.save(saveTo(`${directory}/${format}`, saveOptions));
        quantized.dispose();
      }
    }
    index.push({
      ...entry,
      paths: {
        dense: densePath ?? `${directory}/dense/model.json`,
        sparse: `${directory}/sparse/model.json`,
        ...(int8 && {int8: `${directory}/int8/model.json`, float16: `${directory}/float16/model.json`})
      },
      what: `${entry.what}: ${report.totals.converted} of ${report.layers.length} layers block-sparse at ${
                densityText(options.density)} of ` +
          `${options.blockSize}x${options.blockSize} blocks${onlyFaster ? ' (only those timed faster)' : ''}` +
          `${exclude == null ? '' : ` (layers matching ${exclude} kept dense)`}${int8 ? ', and with int8 and float16 blocks' : ''}` +
          `${(report.folded ?? []).length > 0 ? `, ${report.folded.length} norm and activation layers folded` : ''}`
    });
    dense.dispose();
    sparse.dispose();
  };
  if (wanted('cnn')) {
    await savePair(
        {
          name: 'cnn',
          what: 'predict: a 32x32x3 CNN (3 convs, dense 8192->512->10)',
          format: 'layers-model',
          inputShape: [32, 32, 3],
          batches: MODEL_BATCHES
        },
        buildCnn(), {density, blockSize: 16, onlyFaster, timeOn, exclude});
  }
  for (const [name, spec] of Object.entries(published.PUBLISHED).filter(([name, spec]) => spec.bench && wanted(name))) {
    const path = published.writePublishedModel(name, PUBLISHED_DIRECTORY);
    if (path != null) {
      const dense = await (spec.format === 'graph-model' ? tf.loadGraphModel : tf.loadLayersModel)(loadFrom(path));
      const inputDtype = spec.format === 'graph-model' ? dense.inputs[0].dtype : 'float32';
      await savePair(
          {name, what: `predict: ${spec.what}`, format: spec.format, inputShape: spec.inputShape, inputDtype, batches: [1]}, dense,
          {density, blockSize, onlyFaster, timeOn, exclude}, {densePath: published.repositoryPath(path)});
    }
  }
  return index;
}

/**
 * The converted pairs (with int8 and float16 blocks: fours) of an index, read through
 * `handler(path)` (a URL prefix in a page, the converter's loadFrom in
 * Node), one after another, with the bytes each model's weights take on
 * the backend (tf.memory's count while it loads).
 */
export async function loadConverted(index, handler) {
  const loaded = [];
  for (const entry of index) {
    const models = {};
    const bytes = {};
    for (const variant of Object.keys(entry.paths)) {
      const before = tf.memory().numBytes;
      models[variant] = await (entry.format === 'graph-model' ? tf.loadGraphModel : tf.loadLayersModel)(handler(entry.paths[variant]));
      bytes[variant] = tf.memory().numBytes - before;
    }
    loaded.push({...entry, ...models, bytes});
  }
  return loaded;
}
