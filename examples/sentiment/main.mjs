import tf from '@tensorflow/tfjs';

import {appendRow, chooseBackend, drawLayout, exposeOutputs, fetchPretrained, loadLayersModels, lossChart, mountSweep, show, startPage, timeAgainstDense, timeMatMulLayer, timingRow, withProgress} from '../shared/page.mjs';

import {buildVocabulary, featurize, FEATURES, loadCorpus, splitCorpus} from './data.mjs';
import {compile, evaluate, VARIANTS} from './model.mjs';

const SEED = 1;
const models = {};

async function main(status) {
  await chooseBackend(document.getElementById('backend'));
  status('loading the sentences…');
  const {train, test} = splitCorpus(await loadCorpus(), SEED);
  const vocabulary = buildVocabulary(train.map(s => s.text));
  const testX = featurize(test.map(s => s.text), vocabulary);
  const testY = test.map(s => s.label);
  show('data-output', `${train.length} training and ${test.length} test sentences, e.g.\n` +
      test.slice(0, 3).map(s => `  ${s.label ? 'positive' : 'negative'} (${s.source}): ${s.text}`).join('\n'));

  const results = await fetchPretrained('pretrained/results.json');
  const table = document.getElementById('results');
  Object.assign(models, await loadLayersModels(Object.keys(VARIANTS), compile));
  status(`evaluating the models on the test sentences (the first calls compile ${tf.getBackend()}'s programs)…`);
  for (const variant of Object.keys(VARIANTS)) {
    const {units, density} = VARIANTS[variant];
    const here = await evaluate(models[variant], testX, testY);
    appendRow(table, [variant, units, density, results.variants[variant].params, results.variants[variant].testAccuracy.toFixed(3), here.accuracy.toFixed(3)]);
  }
  drawLayout(document.getElementById('layout-same-width'), models['sparse-same-width'].getLayer('hidden').layout, 'sparse-same-width hidden');
  drawLayout(document.getElementById('layout-same-params'), models['sparse-same-params'].getLayer('hidden').layout, 'sparse-same-params hidden');

  const classify = async () => {
    const features = featurize([document.getElementById('sentence').value], vocabulary);
    if (!features.some(v => v !== 0)) {
      show('prediction', 'No known words: the models read only the 1,024 most frequent words of the training sentences, ' +
          'and none of them is here, so any answer would be a guess.');
      return;
    }
    const x = tf.tensor2d(features, [1, FEATURES]);
    const lines = [];
    for (const [variant, model] of Object.entries(models)) {
      const p = model.predict(x);
      const positive = (await p.data())[0];
      p.dispose();
      lines.push(`${variant.padEnd(20)} ${positive >= 0.5 ? 'positive' : 'negative'}  (p(positive) = ${positive.toFixed(3)})`);
    }
    x.dispose();
    show('prediction', lines.join('\n'));
  };
  document.getElementById('classify').addEventListener('click', classify);
  await classify();

  // Made on the first fine-tuning, not at start-up: 10 MB the page does not need until then.
  let trainX, trainY;
  document.getElementById('train').addEventListener('click', event => withProgress(event.target, document.getElementById('progress'), async progress => {
    trainX ??= tf.tensor2d(featurize(train.map(s => s.text), vocabulary), [train.length, FEATURES]);
    trainY ??= tf.tensor2d(train.map(s => s.label), [train.length, 1]);
    const model = models['sparse-same-params'];
    const batches = Math.ceil(train.length / 32);
    const canvas = document.getElementById('loss');
    canvas.hidden = false;
    const chart = lossChart(canvas);
    const start = performance.now();
    show('train-output', 'training: the chart is the loss of each batch…');
    await model.fit(trainX, trainY, {epochs: 1, batchSize: 32, shuffle: true, callbacks: {onBatchEnd: (batch, logs) => {
      progress((batch + 1) / batches);
      chart.add(logs.loss);
    }}});
    show('train-output', 'evaluating on the test sentences…');
    const {accuracy} = await evaluate(model, testX, testY);
    show('train-output', `one epoch in ${((performance.now() - start) / 1000).toFixed(1)} s on ${tf.getBackend()}; test accuracy now ${accuracy.toFixed(3)}`);
  }));

  document.getElementById('time').addEventListener('click', async event => {
    event.target.disabled = true;
    const table = document.getElementById('timing');
    const one = tf.tensor2d(testX.subarray(0, FEATURES), [1, FEATURES]);
    timingRow(table, `whole model, one sentence: wide sparse vs dense (${tf.getBackend()})`,
              await timeAgainstDense(() => models['sparse-same-params'].predict(one), () => models.dense.predict(one)));
    one.dispose();
    const layout = models['sparse-same-params'].getLayer('hidden').layout;
    timingRow(table, `hidden layer ${layout.inputSize} → ${layout.outputSize}, density ${layout.density}, batch 256 (${tf.getBackend()})`, await timeMatMulLayer(layout, 256));
    event.target.disabled = false;
  });
  return testX.subarray(0, 64 * FEATURES);
}

mountSweep(document.getElementById('sweep-controls'), {inputSize: FEATURES, outputSize: 512}, timeMatMulLayer);
const ready = startPage(main);
exposeOutputs(ready, models, input => tf.tensor2d(input, [64, FEATURES]), (model, x) => model.predict(x));
