import tf from '@tensorflow/tfjs';

import {appendRow, chooseBackend, drawLayout, exposeOutputs, fetchPretrained, loadLayersModels, show, timeMatMulLayer, timingRow, withProgress} from '../shared/page.mjs';

import {buildVocabulary, featurize, FEATURES, loadCorpus, splitCorpus} from './data.mjs';
import {compile, evaluate, VARIANTS} from './model.mjs';

const SEED = 1;
const models = {};

async function main() {
  await chooseBackend(document.getElementById('backend'));
  const {train, test} = splitCorpus(await loadCorpus(), SEED);
  const vocabulary = buildVocabulary(train.map(s => s.text));
  const testX = featurize(test.map(s => s.text), vocabulary);
  const testY = test.map(s => s.label);
  show('data-output', `${train.length} training and ${test.length} test sentences, e.g.\n` +
      test.slice(0, 3).map(s => `  ${s.label ? 'positive' : 'negative'} (${s.source}): ${s.text}`).join('\n'));

  const results = await fetchPretrained('pretrained/results.json');
  const table = document.getElementById('results');
  Object.assign(models, await loadLayersModels(Object.keys(VARIANTS), compile));
  for (const variant of Object.keys(VARIANTS)) {
    const {units, density} = VARIANTS[variant];
    const here = await evaluate(models[variant], testX, testY);
    appendRow(table, [variant, units, density, results.variants[variant].params, results.variants[variant].testAccuracy.toFixed(3), here.accuracy.toFixed(3)]);
  }
  drawLayout(document.getElementById('layout-same-width'), models['sparse-same-width'].getLayer('hidden').layout, 'sparse-same-width hidden');
  drawLayout(document.getElementById('layout-same-params'), models['sparse-same-params'].getLayer('hidden').layout, 'sparse-same-params hidden');

  const classify = async () => {
    const x = tf.tensor2d(featurize([document.getElementById('sentence').value], vocabulary), [1, FEATURES]);
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
    const start = performance.now();
    await model.fit(trainX, trainY, {epochs: 1, batchSize: 32, shuffle: true, callbacks: {onBatchEnd: batch => progress((batch + 1) / batches)}});
    const {accuracy} = await evaluate(model, testX, testY);
    show('train-output', `one epoch in ${((performance.now() - start) / 1000).toFixed(1)} s on ${tf.getBackend()}; test accuracy now ${accuracy.toFixed(3)}`);
  }));

  document.getElementById('time').addEventListener('click', async event => {
    event.target.disabled = true;
    const layout = models['sparse-same-params'].getLayer('hidden').layout;
    timingRow(document.getElementById('timing'), `${layout.inputSize} → ${layout.outputSize}, density ${layout.density} (${tf.getBackend()})`, await timeMatMulLayer(layout, 256));
    event.target.disabled = false;
  });
  return testX.subarray(0, 64 * FEATURES);
}

const ready = main();
exposeOutputs(ready, models, input => tf.tensor2d(input, [64, FEATURES]), (model, x) => model.predict(x));
