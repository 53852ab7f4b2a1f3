import tf from '@tensorflow/tfjs';
import core from '@tfjs-blocksparse/core';

import {appendRow, chooseBackend, drawLayout, exposeOutputs, fetchPretrained, loadLayersModels, lossChart, MODEL_NAMES, mountSweep, show, startPage, startTimingRun, timeMatMulLayer, timePayoff, timingRow, withProgress} from '../shared/page.mjs';

import {ALPHABET, chunkStarts, decode, encode, evenStarts, loadText, normalize, randomStarts, SEQUENCE, sequences, unknownCharacters} from './data.mjs';
import {bitsPerCharacter, generate, oneHotSequences, sampler, trainStep, VARIANTS} from './model.mjs';

/** Held-out sequences the page scores each model on at load (Node scored 1,000): the column that shows this backend agrees. */
const PAGE_SEQUENCES = 50;
/** At most this many 64-character sequences of a text of your own are scored. */
const OWN_TEXT_SEQUENCES = 200;
const TEMPERATURE = {
  min: 0.1,
  max: 2
};
const TRAIN_STEPS = 20;
const BATCH = 16;
const models = {};

async function main(status) {
  await chooseBackend(document.getElementById('backend'));
  status('loading Moby-Dick…');
  const {train, heldOut} = await loadText();
  show(
      'data-output',
      `${train.length.toLocaleString()} training and ${heldOut.length.toLocaleString()} held-out characters; the held-out part begins:\n` +
          `"${decode(heldOut.subarray(0, 300))}…"`);
  const evaluation = sequences(heldOut, evenStarts(heldOut, PAGE_SEQUENCES));

  const results = await fetchPretrained('pretrained/results.json');
  const table = document.getElementById('results');
  Object.assign(models, await loadLayersModels(Object.keys(VARIANTS)));
  status(`evaluating the models on ${PAGE_SEQUENCES} held-out sequences (the first calls compile ${tf.getBackend()}'s programs)…`);
  for (const variant of Object.keys(VARIANTS)) {
    const {cell, units, density} = VARIANTS[variant];
    const stored = results.variants[variant];
    const here = await bitsPerCharacter(models[variant], evaluation);
    appendRow(
        table, [MODEL_NAMES[variant], cell, units, density, stored.params, stored.heldOutBitsPerCharacter.toFixed(3), here.toFixed(3)]);
  }
  const cell = models.sparse.getLayer('recurrent').cell;
  for (const name of ['recurrentKernel', 'multRecurrentKernel']) {
    drawLayout(document.getElementById(`layout-${name}`), cell.layouts[name], `sparse ${name}`);
  }

  const random = core.seededRandom(Date.now() % 1e9);
  document.getElementById('generate').addEventListener('click', async event => {
    const field = document.getElementById('temperature');
    // An empty field reads as 0 through Number(''), and a typed 0 passes min="0.1": both would pick the likeliest
    // symbol every time.
    const temperature = field.value.trim() === '' ? NaN : Number(field.value);
    if (!(temperature >= TEMPERATURE.min && temperature <= TEMPERATURE.max)) {
      show('generate-note', `The temperature must be a number from ${TEMPERATURE.min} to ${TEMPERATURE.max}; got "${field.value}".`);
      return;
    }
    event.target.disabled = true;
    const raw = document.getElementById('prompt').value;
    const prompt = normalize(raw);
    const unknown = unknownCharacters(raw);
    show(
        'generate-note',
        unknown.length === 0 ? '' : `Left out of the prompt, not among the model's ${ALPHABET.length} symbols: ${unknown.join(' ')}`);
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

  const ownText = document.getElementById('own-text');
  const readFile = async file => {
    ownText.value = await file.text();
  };
  document.getElementById('own-file').addEventListener('change', event => event.target.files[0] && readFile(event.target.files[0]));
  ownText.addEventListener('dragover', event => event.preventDefault());
  ownText.addEventListener('drop', event => {
    event.preventDefault();
    if (event.dataTransfer.files[0] != null) {
      readFile(event.dataTransfer.files[0]);
    }
  });
  document.getElementById('own-score').addEventListener('click', async event => {
    const codes = encode(normalize(ownText.value));
    const unknown = unknownCharacters(ownText.value);
    const leftOut = unknown.length === 0 ? '' : `\n(left out, not among the model's symbols: ${unknown.join(' ')})`;
    if (codes.length < SEQUENCE + 1) {
      show('own-output', `The text has ${codes.length} usable characters; at least ${SEQUENCE + 1} are needed.${leftOut}`);
      return;
    }
    event.target.disabled = true;
    show('own-output', 'scoring…');
    const own = sequences(codes, chunkStarts(codes, OWN_TEXT_SEQUENCES));
    const scores = [];
    for (const variant of Object.keys(VARIANTS)) {
      scores.push(
          `${MODEL_NAMES[variant]}: ${(await bitsPerCharacter(models[variant], own)).toFixed(3)} bits/char ` +
          `(${results.variants[variant].heldOutBitsPerCharacter.toFixed(3)} on held-out Moby-Dick)`);
    }
    show(
        'own-output',
        `${scores.join(', ')}; over ${own.count} sequences (${(own.count * SEQUENCE).toLocaleString()} characters).${leftOut}`);
    event.target.disabled = false;
  });

  const optimizer = tf.train.adam(1e-3);
  document.getElementById('train').addEventListener(
      'click',
      event => withProgress(event.target, document.getElementById('progress'), async progress => {
        const plot = document.getElementById('loss');
        const chart = lossChart(plot, 'bits/char');
        show('train-output', 'training: the chart is each step\'s loss…');
        const start = performance.now();
        let bits = 0;
        for (let step = 0; step < TRAIN_STEPS; step++) {
          bits = await trainStep(models.sparse, optimizer, sequences(train, randomStarts(train, BATCH, random)));
          chart.add(bits);
          await progress((step + 1) / TRAIN_STEPS);
        }
        show('train-output', `evaluating on ${PAGE_SEQUENCES} held-out sequences…`);
        const heldOutBits = await bitsPerCharacter(models.sparse, evaluation);
        show(
            'train-output',
            `${TRAIN_STEPS} steps of ${BATCH} sequences in ${((performance.now() - start) / 1000).toFixed(1)} s on ${tf.getBackend()}; ` +
                `last batch ${bits.toFixed(3)} bits/char, held-out sequences now ${heldOutBits.toFixed(3)} bits/char`);
      }));

  document.getElementById('time').addEventListener('click', async event => {
    event.target.disabled = true;
    const table = document.getElementById('timing');
    startTimingRun(table);
    const steps = Object.fromEntries(Object.keys(VARIANTS).map(variant => [variant, sampler(models[variant])]));
    const quality = Object.fromEntries(Object.keys(VARIANTS).map(variant => [variant, results.variants[variant].heldOutBitsPerCharacter]));
    await timePayoff(
        {table, svg: document.getElementById('payoff'), summary: document.getElementById('payoff-summary')},
        Object.fromEntries(Object.entries(steps).map(([variant, step]) => [variant, () => step([0])])), quality,
        {name: 'held-out bits/char', lowerIsBetter: true, digits: 3}, 'character');
    Object.values(steps).forEach(step => step.dispose());
    const layout = cell.layouts.recurrentKernel;
    timingRow(
        table,
        `recurrent kernel ${layout.inputSize} → ${layout.outputSize}, density ${layout.density}, batch 1, vs tf.matMul (${
            tf.getBackend()})`,
        await timeMatMulLayer(layout, 1));
    event.target.disabled = false;
  });
  return sequences(heldOut, evenStarts(heldOut, 4));
}

mountSweep(document.getElementById('sweep-controls'), {inputSize: 512, outputSize: 2048}, timeMatMulLayer);
const ready = startPage(main);
exposeOutputs(ready, models, ({x, count}) => oneHotSequences(x, count), (model, x) => model.predict(x));
