import tf from '@tensorflow/tfjs';
import core from '@tfjs-blocksparse/core';

import {appendRow, chooseBackend, drawLayout, exposeOutputs, fetchPretrained, loadLayersModels, lossChart, MODEL_NAMES, mountSweep, show, startPage, startTimingRun, timeMatMulLayer, timePayoff, timingRow, withProgress} from '../shared/page.mjs';
import {gatherRows} from '../shared/rows.mjs';

import {buildVocabulary, encodeTexts, hasKnownWords, loadCorpus, MAX_TOKENS, negatedCopies, splitCorpus, VOCABULARY} from './data.mjs';
import {compile, evaluate, oneHotTexts, predictCodes, VARIANTS} from './model.mjs';

const SEED = 1;
/** Test sentences the page scores each model on at load (Node scored all of them): the column that shows this backend agrees. */
const PAGE_TEST_SENTENCES = 200;
const TRAIN_STEPS = 20;
const BATCH = 32;
const models = {};

async function main(status) {
  await chooseBackend(document.getElementById('backend'));
  status('loading the sentences…');
  const {train, test} = splitCorpus(await loadCorpus(), SEED);
  const vocabulary = buildVocabulary(train.map(s => s.text));
  const testX = encodeTexts(test.map(s => s.text), vocabulary);
  const testY = test.map(s => s.label);
  const [pageX, pageY] = [testX.subarray(0, PAGE_TEST_SENTENCES * MAX_TOKENS), testY.slice(0, PAGE_TEST_SENTENCES)];
  const negatedTest = negatedCopies(test);
  const negatedX = encodeTexts(negatedTest.map(s => s.text), vocabulary);
  show(
      'data-output',
      `${train.length} training and ${test.length} test sentences, e.g.\n` +
          test.slice(0, 3).map(s => `  ${s.label ? 'positive' : 'negative'} (${s.source}): ${s.text}`).join('\n'));

  const results = await fetchPretrained('pretrained/results.json');
  const table = document.getElementById('results');
  Object.assign(models, await loadLayersModels(Object.keys(VARIANTS), compile));
  status(`evaluating the models on the test sentences (the first calls compile ${tf.getBackend()}'s programs)…`);
  for (const variant of Object.keys(VARIANTS)) {
    const {cell, units, density} = VARIANTS[variant];
    const stored = results.variants[variant];
    const here = await evaluate(models[variant], pageX, pageY);
    const negated = await evaluate(models[variant], negatedX, negatedTest.map(s => s.label));
    appendRow(table, [
      MODEL_NAMES[variant], cell, units, density, stored.params, stored.testAccuracy.toFixed(3), here.accuracy.toFixed(3),
      stored.negatedTestAccuracy.toFixed(3), negated.accuracy.toFixed(3)
    ]);
  }
  const cell = models.sparse.getLayer('recurrent').cell;
  drawLayout(document.getElementById('layout-recurrentKernel'), cell.layouts.recurrentKernel, 'sparse recurrentKernel');
  drawLayout(document.getElementById('layout-multRecurrentKernel'), cell.layouts.multRecurrentKernel, 'sparse multRecurrentKernel');

  const classify = async () => {
    const sentence = document.getElementById('sentence').value;
    // Which sentence the answer is for (a test reads it to know the answer is in).
    const answer = text => {
      show('prediction', text);
      document.getElementById('prediction').dataset.sentence = sentence;
    };
    if (!hasKnownWords(sentence, vocabulary)) {
      answer(
          `No known words: the models know only the ${VOCABULARY.toLocaleString()} most frequent words of the ` +
          'training sentences, and none of them is here, so any answer would be a guess.');
      return;
    }
    const codes = encodeTexts([sentence], vocabulary);
    const lines = [];
    for (const [variant, model] of Object.entries(models)) {
      const p = predictCodes(model, codes);
      const positive = (await p.data())[0];
      p.dispose();
      lines.push(`${MODEL_NAMES[variant].padEnd(12)} ${positive >= 0.5 ? 'positive' : 'negative'}  (p(positive) = ${positive.toFixed(3)})`);
    }
    answer(lines.join('\n'));
  };
  document.getElementById('classify').addEventListener('click', classify);
  await classify();

  const training = train.concat(negatedCopies(train));
  const trainX = encodeTexts(training.map(s => s.text), vocabulary);
  const random = core.seededRandom(Date.now() % 1e9);
  document.getElementById('train').addEventListener(
      'click', event => withProgress(event.target, document.getElementById('progress'), async progress => {
                 const model = models.sparse;
                 const plot = document.getElementById('loss');
                 const chart = lossChart(plot, 'cross-entropy, nats');
                 const start = performance.now();
                 show('train-output', 'training: the chart is the loss of each batch…');
                 for (let step = 0; step < TRAIN_STEPS; step++) {
                   const rows = Array.from({length: BATCH}, () => Math.floor(random() * training.length));
                   const x = oneHotTexts(gatherRows(trainX, MAX_TOKENS, rows));
                   const y = tf.tensor2d(rows.map(r => training[r].label), [BATCH, 1]);
                   const [loss] = await model.trainOnBatch(x, y);
                   tf.dispose([x, y]);
                   chart.add(loss);
                   await progress((step + 1) / TRAIN_STEPS);
                 }
                 show('train-output', `evaluating on the first ${PAGE_TEST_SENTENCES} test sentences…`);
                 const {accuracy} = await evaluate(model, pageX, pageY);
                 show(
                     'train-output',
                     `${TRAIN_STEPS} steps of ${BATCH} sentences in ${((performance.now() - start) / 1000).toFixed(1)} s on ${
                         tf.getBackend()}; accuracy on the first ${PAGE_TEST_SENTENCES} test sentences now ${accuracy.toFixed(3)}`);
               }));

  document.getElementById('time').addEventListener('click', async event => {
    event.target.disabled = true;
    const table = document.getElementById('timing');
    startTimingRun(table);
    const one = testX.subarray(0, MAX_TOKENS);
    const variants = Object.keys(VARIANTS);
    await timePayoff(
        {table, svg: document.getElementById('payoff'), summary: document.getElementById('payoff-summary')},
        Object.fromEntries(variants.map(variant => [variant, () => predictCodes(models[variant], one)])),
        Object.fromEntries(variants.map(variant => [variant, results.variants[variant].testAccuracy])),
        {name: 'test accuracy', lowerIsBetter: false, digits: 3}, 'sentence');
    const layout = cell.layouts.recurrentKernel;
    timingRow(
        table,
        `recurrent kernel ${layout.inputSize} → ${layout.outputSize}, density ${layout.density}, batch 1, vs tf.matMul (${
            tf.getBackend()})`,
        await timeMatMulLayer(layout, 1));
    event.target.disabled = false;
  });
  return testX.subarray(0, 64 * MAX_TOKENS);
}

mountSweep(
    document.getElementById('sweep-controls'), {inputSize: VARIANTS.sparse.units, outputSize: 4 * VARIANTS.sparse.units}, timeMatMulLayer);
const ready = startPage(main);
exposeOutputs(ready, models, oneHotTexts, (model, x) => model.predict(x));
