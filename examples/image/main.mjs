import tf from '@tensorflow/tfjs';
import core from '@tfjs-blocksparse/core';

import {appendRow, chooseBackend, drawLayout, exposeOutputs, fetchPretrained, lossChart, MODEL_NAMES, mountSweep, progressLine, show, startPage, startTimingRun, stoppable, timeConvLayer, timePayoff, timingRow, withProgress} from '../shared/page.mjs';

import {loadDigits, PIXELS, SIZE} from './data.mjs';
import {nearestTrainingDigit} from './judge.mjs';
import {PixelCNN, VARIANTS} from './model.mjs';

const PAGE_TEST_DIGITS = 100;
const TRAIN_STEPS = 30;
const BATCH = 16;
const SCALE = 4;
const models = {};

function drawDigits(canvas, images, count, columns) {
  const rows = Math.ceil(count / columns);
  canvas.width = columns * (SIZE + 1) * SCALE;
  canvas.height = rows * (SIZE + 1) * SCALE;
  const g = canvas.getContext('2d');
  g.fillStyle = '#d8dde6';
  g.fillRect(0, 0, canvas.width, canvas.height);
  for (let k = 0; k < count; k++) {
    const [ox, oy] = [(k % columns) * (SIZE + 1) * SCALE, Math.floor(k / columns) * (SIZE + 1) * SCALE];
    for (let p = 0; p < PIXELS; p++) {
      g.fillStyle = images[k * PIXELS + p] ? '#111' : '#fff';
      g.fillRect(ox + (p % SIZE) * SCALE, oy + Math.floor(p / SIZE) * SCALE, SCALE, SCALE);
    }
  }
}

/**
 * A 14 x 14 drawing pad on a canvas: the pointer inks the cell under it and its right and lower neighbours (a
 * stroke about as thick as an MNIST digit's at this size); `use(pixels)` wires the buttons that read it.
 */
function mountDrawingPad(canvas, use) {
  const pixels = new Float32Array(PIXELS);
  const cell = canvas.width / SIZE;
  const draw = () => {
    const g = canvas.getContext('2d');
    for (let p = 0; p < PIXELS; p++) {
      g.fillStyle = pixels[p] ? '#111' : (Math.floor(p / SIZE) < SIZE / 2 ? '#fff' : '#f1f3f7');
      g.fillRect((p % SIZE) * cell, Math.floor(p / SIZE) * cell, cell, cell);
    }
  };
  const ink = event => {
    const box = canvas.getBoundingClientRect();
    const [col, row] =
        [Math.floor((event.clientX - box.left) / box.width * SIZE), Math.floor((event.clientY - box.top) / box.height * SIZE)];
    for (const [r, c] of [[row, col], [row, col + 1], [row + 1, col]]) {
      if (r >= 0 && r < SIZE && c >= 0 && c < SIZE) {
        pixels[r * SIZE + c] = 1;
      }
    }
    draw();
  };
  canvas.style.touchAction = 'none';
  canvas.addEventListener('pointerdown', event => {
    canvas.setPointerCapture(event.pointerId);
    ink(event);
  });
  canvas.addEventListener('pointermove', event => event.buttons !== 0 && ink(event));
  document.getElementById('pad-clear').addEventListener('click', () => {
    pixels.fill(0);
    draw();
  });
  draw();
  use(pixels);
}

async function loadModel(variant) {
  return PixelCNN.fromArtifacts(
      await fetchPretrained(`pretrained/${variant}/weights.json`),
      await fetchPretrained(`pretrained/${variant}/weights.bin`, {as: 'arrayBuffer'}));
}

async function main(status) {
  await chooseBackend(document.getElementById('backend'));
  status('loading the MNIST test digits…');
  const {test} = await loadDigits(['test']);
  // The training digits (47 MB) only when sampling judges or fine-tuning needs them.
  let trainDigits;
  const loadTrain = () => (trainDigits ??= loadDigits(['train']).then(({train}) => train));
  // The first 10 test digits of each class, class after class.
  const byClass = Array.from({length: 10}, () => []);
  test.labels.forEach((digit, i) => byClass[digit].length < PAGE_TEST_DIGITS / 10 && byClass[digit].push(i));
  const picked = byClass.flat();
  const pageTest = new Float32Array(PAGE_TEST_DIGITS * PIXELS);
  picked.forEach((d, i) => pageTest.set(test.images.subarray(d * PIXELS, (d + 1) * PIXELS), i * PIXELS));
  drawDigits(document.getElementById('test-digits'), pageTest.filter((_, i) => Math.floor(i / PIXELS) % 5 === 0), 20, 10);
  show('data-output', `60,000 training and ${test.count.toLocaleString('en')} test digits; above, 20 of the test digits.`);
  const testImages = tf.tensor4d(pageTest, [PAGE_TEST_DIGITS, SIZE, SIZE, 1]);

  const results = await fetchPretrained('pretrained/results.json');
  const samples = await fetchPretrained('pretrained/samples.json', {writtenBy: 'evaluate.mjs'});
  const table = document.getElementById('results');
  for (const variant of Object.keys(VARIANTS)) {
    models[variant] = await loadModel(variant);
    status(`evaluating the ${MODEL_NAMES[variant]} model on ${PAGE_TEST_DIGITS} test digits (the first call compiles ${
        tf.getBackend()}'s programs)…`);
    const {channels, density} = VARIANTS[variant];
    const stored = results.variants[variant];
    const here = await models[variant].meanBits(testImages);
    const digitLike = `${Math.round(samples.variants[variant].digitLike * samples.samples)} of ${samples.samples}`;
    appendRow(table, [
      MODEL_NAMES[variant], channels, density, Math.round(stored.params), stored.testBitsPerPixel.toFixed(4), here.toFixed(4), digitLike
    ]);
  }
  appendRow(table, ['independent pixels', '', '', PIXELS, results.independentPixelBits.toFixed(4), '', '']);
  appendRow(table, ['test digits', '', '', '', '', '', `${Math.round(samples.testDigitsDigitLike * 100)}%`]);
  models.sparse.layouts.forEach((layout, i) => {
    const figure = document.getElementById('layouts').appendChild(document.createElement('figure'));
    drawLayout(figure.appendChild(document.createElement('canvas')), layout, `sparse hidden conv ${i + 1}`);
  });
  // The training digits packed for the judge, at the first sample; the distance is evaluate.mjs's.
  let nearest = null;

  const random = core.seededRandom(Date.now() % 1e9);
  stoppable(document.getElementById('sample'), async signal => {
    const variant = document.getElementById('model').value;
    const canvas = document.getElementById('samples');
    const start = performance.now();
    const onPixel = (done, total) => show('sample-output', `drawing: ${progressLine(done, total, 'pixels', start)}…`);
    const images = await models[variant].sample(16, random, async partial => {
      drawDigits(canvas, partial, 16, 8);
      await tf.nextFrame();  // on wasm and cpu nothing else would let the page draw (or take the stop click)
    }, {onPixel, signal});
    const seconds = (performance.now() - start) / 1000;
    if (signal.aborted) {
      drawDigits(canvas, images, 16, 8);
      show('sample-output', `stopped after ${seconds.toFixed(1)} s on ${tf.getBackend()}`);
      return;
    }
    nearest ??= nearestTrainingDigit(await loadTrain());
    const digitLike = nearest(images, 16).filter(d => d <= samples.digitLikeDistance).length;
    show(
        'sample-output',
        `16 samples from the ${MODEL_NAMES[variant]} model in ${seconds.toFixed(1)} s on ${tf.getBackend()}; ` +
            `${digitLike} of 16 digit-like (within ${samples.digitLikeDistance} pixels of a training digit)`);
  });

  let nextDigit = 0;
  stoppable(document.getElementById('complete'), async signal => {
    const variant = document.getElementById('model').value;
    const canvas = document.getElementById('completions');
    const count = 8;
    const originals = new Float32Array(count * PIXELS);
    for (let i = 0; i < count; i++, nextDigit = (nextDigit + 7) % PAGE_TEST_DIGITS) {
      originals.set(pageTest.subarray(nextDigit * PIXELS, (nextDigit + 1) * PIXELS), i * PIXELS);
    }
    const given = originals.map((v, i) => i % PIXELS < PIXELS / 2 ? v : 0);
    const start = performance.now();
    const onPixel = (done, total) => show('complete-output', `completing: ${progressLine(done, total, 'pixels', start)}…`);
    await models[variant].sample(count, random, async images => {
      const both = new Float32Array(2 * count * PIXELS);
      both.set(originals);
      both.set(images, count * PIXELS);
      drawDigits(canvas, both, 2 * count, count);
      await tf.nextFrame();
    }, {given, fromRow: SIZE / 2, onPixel, signal});
    const seconds = ((performance.now() - start) / 1000).toFixed(1);
    show(
        'complete-output',
        signal.aborted ?
            `stopped after ${seconds} s on ${tf.getBackend()}` :
            `the bottom halves of ${count} test digits drawn by the ${MODEL_NAMES[variant]} model in ${seconds} s on ${tf.getBackend()}`);
  });

  mountDrawingPad(document.getElementById('pad'), pad => {
    stoppable(document.getElementById('pad-complete'), async signal => {
      const canvas = document.getElementById('pad-completions');
      const variants = Object.keys(VARIANTS);
      const shown = new Float32Array((variants.length + 1) * PIXELS);
      shown.set(pad);
      const scores =
          variants.map(variant => tf.tidy(() => models[variant].bitsPerDimension(tf.tensor4d(pad, [1, SIZE, SIZE, 1])).dataSync()[0]));
      for (const [i, variant] of variants.entries()) {
        const start = performance.now();
        const onPixel = (done, total) =>
            show('pad-output', `the ${MODEL_NAMES[variant]} model: ${progressLine(done, total, 'pixels', start)}…`);
        const completed = await models[variant].sample(1, random, async image => {
          shown.set(image, (i + 1) * PIXELS);
          drawDigits(canvas, shown, variants.length + 1, variants.length + 1);
          await tf.nextFrame();
        }, {given: pad, fromRow: SIZE / 2, onPixel, signal});
        shown.set(completed, (i + 1) * PIXELS);
      }
      drawDigits(canvas, shown, variants.length + 1, variants.length + 1);
      show(
          'pad-output',
          signal.aborted ? 'stopped' :
                           `yours, then completed by the ${variants.map(v => MODEL_NAMES[v]).join(', ')} models; your digit scores ` +
                  variants.map((v, i) => `${scores[i].toFixed(3)} bits/pixel for the ${MODEL_NAMES[v]} model`).join(', ') +
                  ` (the test digits: ${variants.map(v => results.variants[v].testBitsPerPixel.toFixed(3)).join(', ')})`);
    });
  });

  const optimizer = tf.train.adam(1e-3);
  document.getElementById('train').addEventListener(
      'click',
      event => withProgress(event.target, document.getElementById('progress'), async progress => {
        const plot = document.getElementById('loss');
        const chart = lossChart(plot, 'bits/pixel');
        show('train-output', 'loading the training digits…');
        const train = await loadTrain();
        show('train-output', 'training: the chart is each step\'s loss (bits per pixel)…');
        const start = performance.now();
        for (let step = 0; step < TRAIN_STEPS; step++) {
          const batch = new Float32Array(BATCH * PIXELS);
          for (let i = 0; i < BATCH; i++) {
            const d = Math.floor(random() * train.count);
            batch.set(train.images.subarray(d * PIXELS, (d + 1) * PIXELS), i * PIXELS);
          }
          const x = tf.tensor4d(batch, [BATCH, SIZE, SIZE, 1]);
          const loss = optimizer.minimize(() => models.sparse.bitsPerDimension(x), true);
          chart.add((await loss.data())[0]);
          tf.dispose([loss, x]);
          await tf.nextFrame();
          await progress((step + 1) / TRAIN_STEPS);
        }
        show('train-output', `evaluating on the page's ${PAGE_TEST_DIGITS} test digits…`);
        const bits = await models.sparse.meanBits(testImages);
        show(
            'train-output',
            `${TRAIN_STEPS} steps of ${BATCH} digits in ${((performance.now() - start) / 1000).toFixed(1)} s on ${tf.getBackend()}; ` +
                `the page's test digits now ${bits.toFixed(4)} bits/pixel`);
      }));

  document.getElementById('time').addEventListener('click', async event => {
    event.target.disabled = true;
    const table = document.getElementById('timing');
    startTimingRun(table);
    const one = tf.tensor4d(pageTest.subarray(0, PIXELS), [1, SIZE, SIZE, 1]);
    const variants = Object.keys(VARIANTS);
    await timePayoff(
        {table, svg: document.getElementById('payoff'), summary: document.getElementById('payoff-summary')},
        Object.fromEntries(variants.map(variant => [variant, () => models[variant].logits(one)])),
        Object.fromEntries(variants.map(variant => [variant, results.variants[variant].testBitsPerPixel])),
        {name: 'test bits/pixel', lowerIsBetter: true, digits: 4}, 'sampling step');
    one.dispose();
    timingRow(
        table, `hidden conv 3x3, 64 → 64, density ${models.sparse.layouts[0].density} (${tf.getBackend()})`,
        await timeConvLayer(models.sparse.layouts[0], [BATCH, SIZE, SIZE], 3));
    event.target.disabled = false;
  });
  return pageTest.subarray(0, 8 * PIXELS);
}

mountSweep(
    document.getElementById('sweep-controls'), {inputSize: 64, outputSize: 64},
    (layout, batch) => timeConvLayer(layout, [batch, SIZE, SIZE], 3), {batches: [1, 16]});
const ready = startPage(main);
exposeOutputs(ready, models, input => tf.tensor4d(input, [8, SIZE, SIZE, 1]), (model, x) => model.logits(x));
