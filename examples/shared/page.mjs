// What the three demo pages share: the backend picker, the status line
// (loading, ready, or what failed and what to do), layout pictures, live
// timing against the dense twin (whole models, one layer, a density sweep),
// progress and loss charts, and the hook the end-to-end test calls.
import tf from '@tensorflow/tfjs';
import core from '@tfjs-blocksparse/core';

const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'];
// tfjs-backend-wasm fetches its .wasm files from beside its bundle.
const WASM_FILES = '/node_modules/@tensorflow/tfjs-backend-wasm/dist/';

/**
 * Whether the browser's WebGPU or WebGL runs in software (SwiftShader, llvmpipe,
 * a fallback adapter): such a "GPU" is many times slower than wasm. Returns
 * the renderer's name when it does, null when it looks like real hardware or
 * the API is missing.
 */
async function softwareRenderer(backend) {
  const SOFTWARE = /swiftshader|llvmpipe|software|lavapipe|basic render/i;
  if (backend === 'webgpu') {
    const adapter = await navigator.gpu?.requestAdapter().catch(() => null);
    if (adapter == null) {
      return null;
    }
    const info = adapter.info ?? {};
    const name = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
    return info.isFallbackAdapter || adapter.isFallbackAdapter || SOFTWARE.test(name) ? (name || 'a fallback adapter') : null;
  }
  const gl = document.createElement('canvas').getContext('webgl2');
  const debug = gl?.getExtension('WEBGL_debug_renderer_info');
  const renderer = debug == null ? '' : gl.getParameter(debug.UNMASKED_RENDERER_WEBGL);
  gl?.getExtension('WEBGL_lose_context')?.loseContext();
  return SOFTWARE.test(renderer) ? renderer : null;
}

/**
 * The backends to try, in order, when the page names none: a hardware GPU
 * first (webgpu, then webgl), else wasm, with the software GPUs after it; and
 * why, for the page to say.
 */
async function preferredBackends() {
  const software = {};
  for (const gpu of ['webgpu', 'webgl']) {
    software[gpu] = await softwareRenderer(gpu);
  }
  const hardware = ['webgpu', 'webgl'].filter(gpu => software[gpu] == null);
  const slow = ['webgpu', 'webgl'].filter(gpu => software[gpu] != null);
  const why = slow.length === 0 ?
      '' :
      ` (${slow.join(' and ')} here ${slow.length > 1 ? 'run' : 'runs'} in software, ${software[slow[0]]}, slower than wasm)`;
  return {order: [...hardware, 'wasm', ...slow, 'cpu'], why};
}

/**
 * Picks the backend named by ?backend= (default: a hardware GPU, else wasm:
 * preferredBackends), says so on the page, and falls back visibly, in the
 * default's order, when the one asked for is unknown or does not start.
 * Choosing another reloads the page with it.
 */
export async function chooseBackend(container) {
  const asked = new URLSearchParams(location.search).get('backend');
  const preferred = BACKENDS.includes(asked) ? {order: BACKENDS, why: ''} : await preferredBackends();
  const wanted = asked != null ? [asked, ...preferred.order.filter(b => b !== asked)] : preferred.order;
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
  note.textContent = failed.length > 0 && asked != null ? ` ${asked} is not available in this browser: running on ${chosen}.` :
                                                          ` running on ${chosen}${preferred.why}.`;
  container.replaceChildren('Backend: ', select, note);
  return chosen;
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
 * The page's status line, under the backend picker: what is loading (with a
 * moving progress bar while `busy`), ready, or what failed and what to do.
 */
export function setStatus(text, kind = 'note', busy = false) {
  let line = document.getElementById('status');
  if (line == null) {
    line = document.createElement('div');
    line.id = 'status';
    line.setAttribute('role', 'status');
    document.getElementById('backend').after(line);
  }
  line.className = kind;
  line.replaceChildren(...(busy ? [document.createElement('progress'), ' '] : []), text);
}

/**
 * Runs the page's main(setStatus) with every button disabled, showing what
 * it loads in the status line; then enables the buttons and says how long
 * start-up took, or shows the failure in the page with what to do.
 */
export async function startPage(main) {
  const buttons = [...document.querySelectorAll('button')];
  buttons.forEach(b => b.disabled = true);
  const start = performance.now();
  try {
    const result = await main(text => setStatus(text, 'note', true));
    buttons.forEach(b => b.disabled = false);
    setStatus(`ready (${((performance.now() - start) / 1000).toFixed(1)} s to load and compile on ${tf.getBackend()})`);
    return result;
  } catch (e) {
    setStatus([`Could not start: ${e.message}.`, remedyFor(e)].filter(Boolean).join(' '), 'error');
    throw e;
  }
}

function remedyFor(error) {
  if (/could not load .*pretrained/.test(error.message)) {
    return '';  // fetchPretrained's message already says which script writes the file.
  }
  if (/backend/i.test(error.message)) {
    return 'Pick another backend above (cpu always works).';
  }
  return 'Reload the page, or pick another backend above; the browser console has the details.';
}

/** One sample's statistics over runs: median, min and max. */
function spread(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return {median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1]};
}

/** Shortest sample of timeAgainstDense, in ms. */
const MIN_SAMPLE_MS = 5;

/**
 * Median (and min, max) wall time per call of each of `calls` ({name:
 * function returning a tensor}), each call read back, over `runs` samples
 * interleaved so that all see the same load: {name: {median, min, max}}.
 */
export async function timeInterleaved(calls, runs = 7) {
  // A sample repeats the call for at least MIN_SAMPLE_MS: a call under the page's timer resolution would read 0.
  const once = async f => {
    const start = performance.now();
    let count = 0;
    do {
      const y = f();
      await y.data();
      y.dispose();
      count++;
    } while (performance.now() - start < MIN_SAMPLE_MS);
    return (performance.now() - start) / count;
  };
  const names = Object.keys(calls);
  for (const name of names) {
    await once(calls[name]);
  }
  const times = Object.fromEntries(names.map(name => [name, []]));
  for (let r = 0; r < runs; r++) {
    for (const name of names) {
      times[name].push(await once(calls[name]));
    }
  }
  return Object.fromEntries(names.map(name => [name, spread(times[name])]));
}

/** timeInterleaved of a sparse and a dense call, as timingRow takes it. */
export async function timeAgainstDense(sparse, dense, runs = 7) {
  const times = await timeInterleaved({sparse, dense}, runs);
  return {sparseMs: times.sparse.median, denseMs: times.dense.median, sparseSpread: times.sparse, denseSpread: times.dense};
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

/** Starts a new "Time it" run of a timing table: the rows it adds say which run, and when, they came from. */
export function startTimingRun(table) {
  table.dataset.run = String(Number(table.dataset.run ?? 0) + 1);
  table.dataset.runStarted = new Date().toLocaleTimeString();
}

/** A timing table row of the current run: the medians, with the range of the runs beside each. */
export function timingRow(table, label, {sparseMs, denseMs, sparseSpread, denseSpread}) {
  const ms = (median, range) => `${median.toFixed(2)} ms (${range.min.toFixed(2)}–${range.max.toFixed(2)})`;
  appendRow(table, [
    `${table.dataset.run} · ${table.dataset.runStarted}`, label, ms(sparseMs, sparseSpread), ms(denseMs, denseSpread),
    `${(denseMs / sparseMs).toFixed(2)}x`
  ]);
}

const SWEEP_DENSITIES = [1, 1 / 2, 1 / 4, 1 / 8, 1 / 16];

/**
 * The density sweep: for each density of SWEEP_DENSITIES, a random layout
 * of the page's sparse layer shape (`layoutFor(density)`) timed against its
 * dense twin by `time(layout)`; each point is drawn on the SVG as it is
 * measured (speedup against density, both on log scales) beside the ideal
 * 1/density line. Returns the points.
 */
export async function sweepDensities(svg, layoutFor, time, onPoint = () => {}) {
  const points = [];
  for (const density of SWEEP_DENSITIES) {
    const layout = layoutFor(density);
    try {
      const {sparseMs, denseMs} = await time(layout);
      points.push({density: layout.density, speedup: denseMs / sparseMs, sparseMs, denseMs});
    } finally {
      core.releaseLayoutTables(layout);
    }
    drawSweep(svg, points);
    onPoint(points.at(-1));
  }
  return points;
}

const SVG = 'http://www.w3.org/2000/svg';

function svgElement(name, attributes, text) {
  const element = document.createElementNS(SVG, name);
  Object.entries(attributes).forEach(([k, v]) => element.setAttribute(k, String(v)));
  if (text != null) {
    element.textContent = text;
  }
  return element;
}

/**
 * The density-sweep controls (block size, batch, a button) and plot, built
 * into `container`: the sweep times `layer` ({inputSize, outputSize}) at
 * every density against dense with `time(layout, batch)`.
 */
export function mountSweep(container, layer, time, {blockSizes = [8, 16, 32], batches = [1, 16, 256]} = {}) {
  // A grid of fewer than 16 blocks cannot keep 1/16 of them.
  const usable = blockSizes.filter(
      bs => layer.inputSize % bs === 0 && layer.outputSize % bs === 0 && (layer.inputSize / bs) * (layer.outputSize / bs) >= 16);
  const select = (id, label, values, chosen) => {
    const element = document.createElement('select');
    element.id = id;
    values.forEach(v => element.append(new Option(String(v), String(v), false, v === chosen)));
    const wrapper = document.createElement('label');
    wrapper.append(`${label} `, element);
    return {wrapper, element};
  };
  const blockSize = select('sweep-block', 'Block size', usable, usable.at(-1));
  const batch = select('sweep-batch', 'Batch', batches, batches[0]);
  const button = document.createElement('button');
  button.id = 'sweep';
  button.textContent = 'Sweep densities 1 … 1/16';
  const svg = document.createElementNS(SVG, 'svg');
  svg.id = 'sweep-plot';
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'speedup over dense against density');
  const output = document.createElement('div');
  output.className = 'output';
  output.id = 'sweep-output';
  container.append(blockSize.wrapper, ' ', batch.wrapper, ' ', button, svg, output);
  button.addEventListener('click', async () => {
    button.disabled = true;
    const [bs, b] = [Number(blockSize.element.value), Number(batch.element.value)];
    output.textContent = `timing ${layer.inputSize} → ${layer.outputSize} at batch ${b}, ${bs}x${bs} blocks, on ${tf.getBackend()}…`;
    try {
      const points = await sweepDensities(
          svg, density => core.randomLayout({...layer, blockSize: bs, density, seed: 1}), layout => time(layout, b),
          p => output.textContent +=
          `\n  density ${p.density}: ${p.speedup.toFixed(2)}x (${p.sparseMs.toFixed(2)} against ${p.denseMs.toFixed(2)} ms)`);
      output.textContent += `\nat 1/16: ${points.at(-1).speedup.toFixed(2)}x of the ideal 16x.`;
    } catch (e) {
      output.textContent += `\nfailed: ${e.message}`;
    } finally {
      button.disabled = false;
    }
  });
}

/** Speedup over dense against density (log2 axes, 1 … 1/16 left to right), measured points and the ideal 1/density. */
function drawSweep(svg, points) {
  const [width, height, left, bottom, top] = [420, 260, 44, 34, 12];
  const maxSpeedup = Math.max(16, ...points.map(p => p.speedup));
  const x = density => left + (width - left - 12) * Math.log2(1 / density) / 4;
  const y = speedup => top + (height - bottom - top) * (1 - Math.log2(Math.max(speedup, 1 / 4) * 4) / Math.log2(maxSpeedup * 4));
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const children = [];
  for (const d of SWEEP_DENSITIES) {
    children.push(
        svgElement('line', {x1: x(d), x2: x(d), y1: top, y2: height - bottom, class: 'grid'}),
        svgElement('text', {x: x(d), y: height - bottom + 16, 'text-anchor': 'middle'}, d === 1 ? '1' : `1/${1 / d}`));
  }
  for (const s of [0.25, 1, 4, 16, 64].filter(s => s <= maxSpeedup)) {
    children.push(
        svgElement('line', {x1: left, x2: width - 12, y1: y(s), y2: y(s), class: s === 1 ? 'axis' : 'grid'}),
        svgElement('text', {x: left - 6, y: y(s) + 4, 'text-anchor': 'end'}, `${s}x`));
  }
  children.push(
      svgElement('polyline', {class: 'ideal', points: SWEEP_DENSITIES.map(d => `${x(d)},${y(1 / d)}`).join(' ')}),
      svgElement('text', {x: x(1 / 16) - 4, y: y(16) - 4, 'text-anchor': 'end', class: 'ideal-label'}, 'ideal: 1/density'),
      svgElement('polyline', {class: 'measured', points: points.map(p => `${x(p.density)},${y(p.speedup)}`).join(' ')}),
      ...points.map(p => {
        const point = svgElement('circle', {class: 'point', cx: x(p.density), cy: y(p.speedup), r: 4});
        point.append(svgElement('title', {}, `density ${p.density}: ${p.speedup.toFixed(2)}x over dense`));
        return point;
      }),
      svgElement('text', {x: width / 2, y: height - 2, 'text-anchor': 'middle'}, 'density (fraction of blocks kept)'));
  svg.replaceChildren(...children);
}

/** What the pages call each demo's three models. */
export const MODEL_NAMES = {
  big: 'big dense',
  sparse: 'block-sparse',
  dense: 'small dense'
};

/**
 * What block sparsity buys, measured here: times one call of each of the
 * three models (`calls`: {big, sparse, dense}, functions returning the output,
 * interleaved), adds a row per dense model to the timing `table`, plots each
 * model's `quality` (the Node-measured {big, sparse, dense}) against its time
 * in `svg` and says in `summary` what the sparse model gains over each dense
 * one. `metric`: {name, lowerIsBetter, digits}; `per`: what one call makes
 * ('character'). Returns the times ({name: {median, min, max}}).
 */
export async function timePayoff({table, svg, summary}, calls, quality, metric, per) {
  const times = await timeInterleaved(calls);
  const backend = tf.getBackend();
  for (const other of ['big', 'dense']) {
    timingRow(
        table, `whole model, one ${per}: block-sparse vs ${MODEL_NAMES[other]} (${backend})`,
        {sparseMs: times.sparse.median, denseMs: times[other].median, sparseSpread: times.sparse, denseSpread: times[other]});
  }
  drawPayoff(svg, times, quality, metric, `ms per ${per} on ${backend}`);
  const value = v => v.toFixed(metric.digits);
  const against = other => {
    const change = (quality.sparse - quality[other]) / quality[other] * (metric.lowerIsBetter ? -1 : 1);
    const word = change >= 0 ? 'better' : 'worse';
    return `against the ${MODEL_NAMES[other]} model (${value(quality[other])}, ${times[other].median.toFixed(2)} ms): ` +
        `${Math.abs(change * 100).toFixed(1)}% ${word}, in ${(times.sparse.median / times[other].median).toFixed(2)}x its time`;
  };
  summary.textContent = `On ${backend}, the block-sparse model scores ${value(quality.sparse)} ${metric.name} in ` +
      `${times.sparse.median.toFixed(2)} ms per ${per}; ${against('big')}; ${against('dense')}.`;
  return times;
}

/** Quality (y, better upwards) against ms per call (x, from 0) of the three models, each point labelled. */
function drawPayoff(svg, times, quality, metric, xTitle) {
  const [width, height, left, bottom, top, right] = [420, 220, 64, 36, 12, 104];
  const names = Object.keys(times);
  const maxMs = Math.max(...names.map(n => times[n].median)) * 1.1;
  const values = names.map(n => quality[n]);
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  const pad = Math.max(hi - lo, Math.abs(hi) * 0.01) * 0.25;
  const [worst, best] = metric.lowerIsBetter ? [hi + pad, lo - pad] : [lo - pad, hi + pad];
  const x = ms => left + (width - left - right) * ms / maxMs;
  const y = v => top + (height - bottom - top) * (best - v) / (best - worst);
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('role', 'img');
  const children = [];
  for (const v of [worst, (worst + best) / 2, best]) {
    children.push(
        svgElement('line', {x1: left, x2: width - right, y1: y(v), y2: y(v), class: 'grid'}),
        svgElement('text', {x: left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick'}, v.toFixed(metric.digits)));
  }
  for (const ms of [0, maxMs / 2, maxMs]) {
    children.push(
        svgElement('text', {x: x(ms), y: height - bottom + 15, 'text-anchor': 'middle', class: 'tick'}, ms.toFixed(ms < 10 ? 2 : 1)));
  }
  children.push(
      svgElement('line', {x1: left, x2: left, y1: top, y2: height - bottom, class: 'axis'}),
      svgElement('line', {x1: left, x2: width - right, y1: height - bottom, y2: height - bottom, class: 'axis'}),
      svgElement('text', {x: (left + width - right) / 2, y: height - 4, 'text-anchor': 'middle'}, xTitle),
      svgElement(
          'text',
          {x: 12, y: (top + height - bottom) / 2, 'text-anchor': 'middle', transform: `rotate(-90 12 ${(top + height - bottom) / 2})`},
          `${metric.name} (${metric.lowerIsBetter ? 'lower' : 'higher'} is better)`));
  for (const name of names) {
    const point = svgElement('circle', {class: `point ${name}`, cx: x(times[name].median), cy: y(quality[name]), r: 5});
    point.append(svgElement(
        'title', {}, `${MODEL_NAMES[name]}: ${quality[name].toFixed(metric.digits)} ${metric.name}, ${times[name].median.toFixed(2)} ms`));
    children.push(
        point, svgElement('text', {x: x(times[name].median) + 8, y: y(quality[name]) + 4, class: `label ${name}`}, MODEL_NAMES[name]));
  }
  svg.replaceChildren(...children);
  svg.setAttribute(
      'aria-label',
      `${metric.name} against ${xTitle}: ` +
          names.map(n => `${MODEL_NAMES[n]} ${quality[n].toFixed(metric.digits)} at ${times[n].median.toFixed(2)} ms`).join(', '));
  svg.removeAttribute('hidden');  // an SVG element has no `hidden` property to set
}

/**
 * A live chart of the training loss on an SVG, one point per step: the loss
 * axis (in `unit`) labelled at its lowest, middle and highest value so far,
 * the step axis at the first and last step, and the last value beside its point.
 */
export function lossChart(svg, unit) {
  const losses = [];
  const [width, height, left, bottom, top, right] = [420, 180, 56, 34, 10, 64];
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('role', 'img');
  svg.removeAttribute('hidden');
  return {
    add(loss) {
      losses.push(loss);
      const [lo, hi] = [Math.min(...losses), Math.max(...losses)];
      const span = hi > lo ? hi - lo : Math.max(Math.abs(hi), 1) * 0.1;
      const [bottomValue, topValue] = hi > lo ? [lo, hi] : [lo - span / 2, hi + span / 2];
      const x = step => left + (width - left - right) * (losses.length === 1 ? 0.5 : step / (losses.length - 1));
      const y = v => top + (height - bottom - top) * (topValue - v) / (topValue - bottomValue);
      const digits = Math.max(0, Math.min(4, 2 - Math.floor(Math.log10(span))));
      const children = [];
      for (const v of [bottomValue, (bottomValue + topValue) / 2, topValue]) {
        children.push(
            svgElement('line', {x1: left, x2: width - right, y1: y(v), y2: y(v), class: 'grid'}),
            svgElement('text', {x: left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick'}, v.toFixed(digits)));
      }
      children.push(
          svgElement('line', {x1: left, x2: left, y1: top, y2: height - bottom, class: 'axis'}),
          svgElement('line', {x1: left, x2: width - right, y1: height - bottom, y2: height - bottom, class: 'axis'}),
          svgElement('text', {x: x(0), y: height - bottom + 15, 'text-anchor': 'middle', class: 'tick'}, '1'),
          svgElement(
              'text', {x: x(losses.length - 1), y: height - bottom + 15, 'text-anchor': 'middle', class: 'tick'}, String(losses.length)),
          svgElement('text', {x: (left + width - right) / 2, y: height - 4, 'text-anchor': 'middle'}, `training step`),
          svgElement(
              'text',
              {x: 12, y: (top + height - bottom) / 2, 'text-anchor': 'middle', transform: `rotate(-90 12 ${(top + height - bottom) / 2})`},
              `loss (${unit})`),
          svgElement('polyline', {class: 'measured', points: losses.map((v, i) => `${x(i)},${y(v)}`).join(' ')}),
          svgElement('circle', {class: 'point', cx: x(losses.length - 1), cy: y(loss), r: 3}),
          svgElement('text', {x: x(losses.length - 1) + 6, y: y(loss) + 4, class: 'last'}, loss.toFixed(digits)));
      svg.replaceChildren(...children);
      svg.setAttribute(
          'aria-label', `training loss in ${unit}: first ${losses[0].toFixed(3)}, last ${loss.toFixed(3)}, ${losses.length} steps`);
      svg.dataset.points = String(losses.length);
    },
  };
}


/**
 * Runs fn with the button disabled and a progress bar showing; fn awaits
 * progress(0..1) after each step, which lets the page draw a frame: on wasm
 * and cpu a training step never leaves the main thread, so without it the bar
 * and the loss chart would move only at the end.
 */
export async function withProgress(button, bar, fn) {
  button.disabled = true;
  bar.hidden = false;
  bar.value = 0;
  try {
    return await fn(async fraction => {
      bar.value = fraction;
      await tf.nextFrame();
    });
  } finally {
    button.disabled = false;
  }
}

/**
 * Makes `button` start run(signal) and, while it runs, stop it: the button
 * reads "Stop" and a click aborts the signal, which run checks between steps.
 */
export function stoppable(button, run) {
  const label = button.textContent;
  let controller = null;
  button.addEventListener('click', async () => {
    if (controller != null) {
      controller.abort();
      return;
    }
    controller = new AbortController();
    button.textContent = 'Stop';
    try {
      await run(controller.signal);
    } finally {
      controller = null;
      button.textContent = label;
    }
  });
}

/** "done of total …, about N s left" from the time since start, for long actions. */
export function progressLine(done, total, unit, start) {
  const elapsed = (performance.now() - start) / 1000;
  const left = done === 0 ? '' : `, about ${Math.ceil(elapsed / done * (total - done))} s left`;
  return `${done} of ${total} ${unit}${left}`;
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

/** The command that runs one of the page's example scripts (its training script unless named). */
function scriptCommand(script = 'train.mjs') {
  const example = location.pathname.match(/examples\/([^/]+)\//)?.[1] ?? '<example>';
  return `node examples/${example}/${script}`;
}

/**
 * A file the example's script `writtenBy` (train.mjs) wrote under
 * pretrained/: parsed JSON, or with as = 'arrayBuffer' the bytes.
 */
export async function fetchPretrained(url, {as = 'json', writtenBy = 'train.mjs'} = {}) {
  setStatus(`loading ${url}…`);
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(
        `could not load ${url} (HTTP ${response.status}). Its script writes it: run \`${scriptCommand(writtenBy)}\` and reload`);
  }
  return response[as]();
}

/** Each variant's pretrained LayersModel (pretrained/<variant>/model.json), compiled (when given compile) for fine-tuning. */
export async function loadLayersModels(variants, compile) {
  const models = {};
  for (const variant of variants) {
    const url = `pretrained/${variant}/model.json`;
    setStatus(`loading ${url} and its weights…`);
    try {
      models[variant] = await tf.loadLayersModel(url);
    } catch (e) {
      throw new Error(
          `could not load ${url} (${e.message}). Its training script writes it: run \`${scriptCommand()}\` and reload`, {cause: e});
    }
    compile?.(models[variant]);
  }
  return models;
}
