import tf from '@tensorflow/tfjs';
import core from '@tfjs-blocksparse/core';

import {appendRow, chooseBackend, drawLayout, exposeOutputs, fetchPretrained, loadLayersModels, lossChart, mountSweep, show, startPage, timeAgainstDense, timeMatMulLayer, timingRow, withProgress} from '../shared/page.mjs';

import {ALPHABET, CONTEXT, decode, encode, evenStarts, loadText, normalize, windows} from './data.mjs';
import {bitsPerCharacter, compile, generate, VARIANTS} from './model.mjs';

const PAGE_WINDOWS = 2000;
const TRAIN_STEPS = 50;
const BATCH = 128;
const models = {};

async function main(status) {
  await chooseBackend(document.getElementById('backend'));
  status('loading Moby-Dick…');
  const {train, heldOut} = await loadText();
  show('data-output', `${train.length.toLocaleString()} training and ${heldOut.length.toLocaleString()} held-out characters; the held-out part begins:\n` +
      `"${decode(heldOut.subarray(0, 300))}…"`);
  const evaluation = windows(heldOut, evenStarts(heldOut, PAGE_WINDOWS));

  const results = await fetchPretrained('pretrained/results.json');
  const table = document.getElementById('results');
  Object.assign(models, await loadLayersModels(Object.keys(VARIANTS), compile));
  status(`evaluating the models on ${PAGE_WINDOWS} held-out windows (the first calls compile ${tf.getBackend()}'s programs)…`);
  for (const variant of Object.keys(VARIANTS)) {
    const {units, density} = VARIANTS[variant];
    const stored = results.variants[variant];
    const here = await bitsPerCharacter(models[variant], evaluation);
    appendRow(table, [variant, units, density, stored.params, stored.heldOutBitsPerCharacter.toFixed(3), here.toFixed(3)]);
  }
  for (const name of ['hidden1', 'hidden2']) {
    drawLayout(document.getElementById(`layout-${name}`), models.sparse.getLayer(name).layout, `sparse ${name}`);
  }

  const random = core.seededRandom(Date.now() % 1e9);
  document.getElementById('generate').addEventListener('click', async event => {
    event.target.disabled = true;
    const prompt = normalize(document.getElementById('prompt').value);
    const temperature = Number(document.getElementById('temperature').value);
    const model = models[document.getElementById('model').value];
    const out = document.getElementById('generated');
    out.textContent = prompt;
    const start = performance.now();
    let count = 0;
    for await (const code of generate(model, encode(prompt), 300, temperature, random)) {
      out.textContent += ALPHABET[code];
      count++;
    }
    out.textContent += `\n\n(${count} characters in ${((performance.now() - start) / 1000).toFixed(1)} s on ${tf.getBackend()})`;
    event.target.disabled = false;
  });

  document.getElementById('train').addEventListener('click', event => withProgress(event.target, document.getElementById('progress'), async progress => {
    const model = models.sparse;
    const canvas = document.getElementById('loss');
    canvas.hidden = false;
    const chart = lossChart(canvas);
    show('train-output', 'training: the chart is each step\'s loss…');
    const start = performance.now();
    let loss = 0;
    for (let step = 0; step < TRAIN_STEPS; step++) {
      const batch = windows(train, Array.from({length: BATCH}, () => Math.floor(random() * (train.length - CONTEXT - 1))));
      const [x, y] = [tf.tensor2d(batch.x, [BATCH, CONTEXT], 'int32'), tf.oneHot(tf.tensor1d(batch.y, 'int32'), ALPHABET.length)];
      loss = await model.trainOnBatch(x, y);
      tf.dispose([x, y]);
      chart.add(loss);
      progress((step + 1) / TRAIN_STEPS);
    }
    show('train-output', `evaluating on ${PAGE_WINDOWS} held-out windows…`);
    const bits = await bitsPerCharacter(model, evaluation);
    show('train-output', `${TRAIN_STEPS} steps of ${BATCH} windows in ${((performance.now() - start) / 1000).toFixed(1)} s on ${tf.getBackend()}; ` +
        `last batch ${(loss / Math.LN2).toFixed(3)} bits/char, held-out windows now ${bits.toFixed(3)} bits/char`);
  }));

  document.getElementById('time').addEventListener('click', async event => {
    event.target.disabled = true;
    const table = document.getElementById('timing');
    const one = tf.tensor2d(windows(heldOut, [0]).x, [1, CONTEXT], 'int32');
    timingRow(table, `whole model, one sampling step: sparse vs dense (${tf.getBackend()})`,
              await timeAgainstDense(() => models.sparse.predict(one), () => models.dense.predict(one)));
    one.dispose();
    const sparseLayout = models.sparse.getLayer('hidden2').layout;
    timingRow(table, `hidden layer 640 → 640, density ${sparseLayout.density}, batch 256 (${tf.getBackend()})`, await timeMatMulLayer(sparseLayout, 256));
    const full = core.BlockLayout.fromMask(Array.from({length: 8}, () => new Array(8).fill(1)), 32);
    timingRow(table, `dense model's layer shape 256 → 256, density 1, batch 256 (${tf.getBackend()})`, await timeMatMulLayer(full, 256));
    core.releaseLayoutTables(full);
    event.target.disabled = false;
  });
  return windows(heldOut, evenStarts(heldOut, 16)).x;
}

mountSweep(document.getElementById('sweep-controls'), {inputSize: 640, outputSize: 640}, timeMatMulLayer);
const ready = startPage(main);
exposeOutputs(ready, models, input => tf.tensor2d(input, [16, CONTEXT], 'int32'), (model, x) => model.predict(x));
