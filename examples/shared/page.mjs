// What the three demo pages share: the backend picker, layout pictures,
// live timing against the dense twin, progress, and the hook the
// end-to-end test calls.
import tf from '@tensorflow/tfjs';
import core from '@tfjs-blocksparse/core';

const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'];
// tfjs-backend-wasm fetches its .wasm files from beside its bundle.
const WASM_FILES = '/node_modules/@tensorflow/tfjs-backend-wasm/dist/';

/**
 * Picks the backend named by ?backend= (default: the first of webgpu,
 * webgl, wasm, cpu that starts), says so on the page, and falls back visibly when
 * the one asked for is missing. Choosing another reloads the page with it.
 */
export async function chooseBackend(container) {
  const asked = new URLSearchParams(location.search).get('backend');
  const wanted = asked != null ? [asked, ...BACKENDS.filter(b => b !== asked)] : BACKENDS;
  const failed = [];
  let chosen = null;
  tf.wasm?.setWasmPaths(WASM_FILES);
  for (const name of wanted) {
    if (tf.findBackendFactory(name) != null && await tf.setBackend(name).catch(() => false)) {
      chosen = name;
      break;
    }
    failed.push(name);
  }
  if (chosen == null) {
    throw new Error('no tfjs backend could start');
  }
  await tf.ready();
  if (chosen === 'wasm') {
    // Compiles the block-sparse wasm kernels and starts their threads (cross-origin isolated pages).
    await core.blockSparseWasmReady();
    warnOfWasmTraining();
  }
  const select = document.createElement('select');
  for (const name of BACKENDS) {
    const option = new Option(name, name, false, name === chosen);
    option.disabled = tf.findBackendFactory(name) == null;
    select.append(option);
  }
  select.addEventListener('change', () => {
    const url = new URL(location.href);
    url.searchParams.set('backend', select.value);
    location.assign(url);
  });
  const note = document.createElement('span');
  note.className = failed.length > 0 && asked != null ? 'warning' : 'note';
  note.textContent = failed.length > 0 && asked != null ?
      ` ${asked} is not available in this browser: running on ${chosen}.` : ` running on ${chosen}.`;
  container.replaceChildren('Backend: ', select, note);
  return chosen;
}

/**
 * Fine-tuning runs the dense layers' gradients too, and tfjs-backend-wasm
 * 4.22 is slow or missing there (measured: a matMul with its first operand
 * transposed, as in every dense weight gradient, 40x its forward time for
 * the same work; no Conv2DBackpropFilter at all). Say so beside the button.
 */
function warnOfWasmTraining() {
  const train = document.getElementById('train');
  if (train == null) {
    return;
  }
  const note = document.createElement('div');
  note.className = 'warning';
  note.textContent = 'On wasm, fine-tuning takes minutes or fails: tfjs-backend-wasm computes the dense layers\' ' +
      'weight gradients slowly (a matMul with a transposed operand) and has no dense conv2d filter gradient. ' +
      'The block-sparse layers\' own gradients are fast here; pick webgpu, webgl or cpu to fine-tune.';
  train.parentElement.insertBefore(note, train);
}

/** The layout's kept blocks as dark squares on a grid of (input block rows) x (output block columns). */
export function drawLayout(canvas, layout, caption) {
  const rows = layout.inputSize / layout.blockSize;
  const cols = layout.outputSize / layout.blockSize;
  const cell = Math.max(2, Math.min(16, Math.floor(320 / Math.max(rows, cols))));
  canvas.width = cols * cell;
  canvas.height = rows * cell;
  const g = canvas.getContext('2d');
  g.fillStyle = '#eef1f5';
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.fillStyle = '#1f4e8c';
  for (let i = 0; i < layout.nnz; i++) {
    g.fillRect(layout.cols[i] * cell, layout.rows[i] * cell, cell - (cell > 3 ? 1 : 0), cell - (cell > 3 ? 1 : 0));
  }
  canvas.title = caption;
  const figure = canvas.closest('figure');
  if (figure != null) {
    const label = figure.querySelector('figcaption') ?? figure.appendChild(document.createElement('figcaption'));
    label.textContent = `${caption}: ${layout.inputSize} x ${layout.outputSize} in ${layout.blockSize} x ${layout.blockSize} blocks, ` +
        `${layout.nnz} of ${rows * cols} kept (density ${layout.density.toFixed(3)})`;
  }
}

/**
 * Median wall time of `sparse` and `dense` (functions returning a tensor),
 * each read back every run, interleaved so that both see the same load.
 */
export async function timeAgainstDense(sparse, dense, runs = 7) {
  const once = async f => {
    const start = performance.now();
    const y = f();
    await y.data();
    y.dispose();
    return performance.now() - start;
  };
  await once(sparse);
  await once(dense);
  const times = {sparse: [], dense: []};
  for (let r = 0; r < runs; r++) {
    times.sparse.push(await once(sparse));
    times.dense.push(await once(dense));
  }
  const median = v => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
  return {sparseMs: median(times.sparse), denseMs: median(times.dense)};
}

/** Times y = x·W of a block-sparse layer against tf.matMul with a dense W of the same shape. */
export async function timeMatMulLayer(layout, batch) {
  const x = tf.randomNormal([batch, layout.inputSize]);
  const packed = tf.randomNormal([layout.nnz, layout.blockSize, layout.blockSize]);
  const dense = tf.randomNormal([layout.inputSize, layout.outputSize]);
  try {
    return await timeAgainstDense(() => core.blockSparseMatMul(x, packed, layout), () => tf.matMul(x, dense));
  } finally {
    tf.dispose([x, packed, dense]);
  }
}

/** Times a block-sparse 'same' conv2d against tf.conv2d with a dense filter of the same shape. */
export async function timeConvLayer(layout, inputShape, kernel) {
  const x = tf.randomNormal([...inputShape, layout.inputSize]);
  const packed = tf.randomNormal([layout.nnz, kernel, kernel, layout.blockSize, layout.blockSize]);
  const dense = tf.randomNormal([kernel, kernel, layout.inputSize, layout.outputSize]);
  try {
    return await timeAgainstDense(() => core.blockSparseConv2d(x, packed, layout, 1, 'same'), () => tf.conv2d(x, dense, 1, 'same'));
  } finally {
    tf.dispose([x, packed, dense]);
  }
}

export function appendRow(table, cells) {
  const row = table.insertRow();
  for (const cell of cells) {
    row.insertCell().textContent = String(cell);
  }
}

export function timingRow(table, label, {sparseMs, denseMs}) {
  appendRow(table, [label, `${sparseMs.toFixed(2)} ms`, `${denseMs.toFixed(2)} ms`, `${(denseMs / sparseMs).toFixed(2)}x`]);
}

/** Runs fn (given a 0..1 progress callback) with the button disabled and a progress bar showing. */
export async function withProgress(button, bar, fn) {
  button.disabled = true;
  bar.hidden = false;
  bar.value = 0;
  try {
    return await fn(fraction => {
      bar.value = fraction;
    });
  } finally {
    button.disabled = false;
  }
}

/**
 * The end-to-end test's hook: outputs() gives every model's outputs (apply
 * maps a model and an input tensor to its output) for a fixed input on the
 * page's backend, to compare with the same page on cpu (a fresh page, not a
 * backend switch: moving weights off webgpu needs a synchronous read).
 */
export function exposeOutputs(ready, models, makeInput, apply) {
  window.demo = {
    ready,
    async outputs() {
      const x = makeInput(await ready);
      const values = [];
      for (const model of Object.values(models)) {
        const y = apply(model, x);
        values.push(...await y.data());
        y.dispose();
      }
      x.dispose();
      return {backend: tf.getBackend(), values};
    },
  };
}

export function show(id, text) {
  document.getElementById(id).textContent = text;
}

/** A file the example's train.mjs wrote under pretrained/: parsed JSON, or with as = 'arrayBuffer' the bytes. */
export async function fetchPretrained(url, as = 'json') {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`could not load ${url} (${response.status}): run the example's train.mjs`);
  }
  return response[as]();
}

/** Each variant's pretrained LayersModel (pretrained/<variant>/model.json), compiled so that it can be fine-tuned. */
export async function loadLayersModels(variants, compile) {
  const models = {};
  for (const variant of variants) {
    models[variant] = await tf.loadLayersModel(`pretrained/${variant}/model.json`);
    compile(models[variant]);
  }
  return models;
}
