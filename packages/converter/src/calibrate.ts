import * as tf from '@tensorflow/tfjs';
import {BlockLayout, magnitudeLayout} from '@tfjs-blocksparse/core';

/**
 * One-shot reconstruction from unlabelled inputs, as SparseGPT and OBC do
 * for unstructured sparsity, here for blocks: each converted layer keeps the
 * blocks that matter most to its output on the calibration inputs, and its
 * kept blocks and bias are refit by least squares so that, fed what the
 * already converted layers before it produce, it reproduces what the
 * original layer computed from the original inputs. No labels, no gradients.
 */
export interface CalibrationOptions {
  /** Unlabelled inputs [n, ...model input shape]: a few hundred, like those the model will see. */
  inputs: tf.Tensor;
  /** Inputs run through the model at once (default 16). */
  batchSize?: number;
  /** Pull of the refit towards the original weights, as a fraction of the mean input second moment (default 0.001). */
  damping?: number;
  /** Refit the layers that stay dense too, to the original's output from the converted layers' (default true). */
  refitDense?: boolean;
}

/** The default damping: the value that followed the published models best on held-out inputs (docs/fidelity.md). */
export const DEFAULT_DAMPING = 0.001;

/** A layer's input as rows of its product with the [taps * K, N] kernel: the input itself, or a conv's patches. */
export type RowsOf = (x: tf.Tensor) => tf.Tensor2D;

export interface CalibrationSite {
  /** The original weight, [K, N] or [kh, kw, K, N]. */
  kernel: tf.Tensor;
  /** The bias to refit, or zeros for an intercept that a following layer absorbs (a BatchNormalization's mean). */
  bias?: tf.Tensor;
  rows: RowsOf;
}

export interface CalibratedWeight {
  layout: BlockLayout;
  /** The refit weight in the kernel's shape, zero outside the kept blocks. */
  kernel: tf.Tensor;
  bias?: tf.Tensor;
  /** The layer's output error relative to the original layer's on the calibration inputs: magnitude pruning's and calibration's. */
  error: {magnitude: number, calibrated: number};
  /** The dense layer's multiply-adds per model input. */
  multiplyAdds?: number;
}

/**
 * The layer input in the original model and in the model converted so far, for a batch of model inputs
 * (converted null: the same as the original, when nothing before the layer has changed).
 */
export type SiteInputs = (batch: tf.Tensor, index: number) => Promise<[original: tf.Tensor, converted: tf.Tensor|null]>;

export function checkCalibration(options: CalibrationOptions) {
  const {inputs, batchSize = 16, damping = DEFAULT_DAMPING} = options;
  if (!(inputs instanceof tf.Tensor) || inputs.rank < 2 || inputs.shape[0] < 1) {
    throw new Error('calibrate: inputs must be a tensor of examples [n, ...input shape] with n >= 1');
  }
  if (!(Number.isInteger(batchSize) && batchSize >= 1) || !(damping > 0)) {
    throw new Error(`calibrate: batchSize must be a positive integer and damping > 0; got ${batchSize}, ${damping}`);
  }
}

/** Throws unless the calibration inputs fit the model's input shape (-1 or null: any size). */
export function checkInputShape(modelShape: Array<number|null>|undefined, inputs: tf.Tensor) {
  const fits = modelShape == null ||
      (modelShape.length === inputs.rank && modelShape.every((size, i) => i === 0 || size == null || size < 0 || size === inputs.shape[i]));
  if (!fits) {
    throw new Error(`calibrate: the model takes inputs of shape [${modelShape!.map(s => s ?? -1)}]; got [${inputs.shape}]`);
  }
}

/** The calibration inputs in the batches calibrateSite visits them in, cast to `dtype`. */
export function calibrationBatches(options: CalibrationOptions, dtype: tf.DataType = 'float32'): tf.Tensor[] {
  const {inputs, batchSize = 16} = options;
  const batches: tf.Tensor[] = [];
  for (let start = 0; start < inputs.shape[0]; start += batchSize) {
    batches.push(tf.tidy(() => tf.cast(tf.slice(inputs, start, Math.min(batchSize, inputs.shape[0] - start)), dtype)));
  }
  return batches;
}

/** Collects each calibrated layer's sensitivity instead of fitting it (the first pass of a budget allocation). */
export class SensitivityProbe {
  readonly layers: Sensitivity[] = [];
}

/**
 * Calibrates one layer: accumulates the second moments of its converted-model
 * input and its products with the original output over every calibration
 * batch, picks `density` of its blocks by saliency (the weights weighted by
 * their inputs' second moments) and refits them. With a probe, records the
 * layer's sensitivity and fits nothing (undefined).
 */
export async function calibrateSite(
    name: string, site: CalibrationSite, inputsOf: SiteInputs, options: CalibrationOptions, blockSize: number, density: number,
    probe?: SensitivityProbe): Promise<CalibratedWeight|undefined> {
  const moments = await accumulate(site, inputsOf, options);
  const damping = options.damping ?? DEFAULT_DAMPING;
  if (probe != null) {
    probe.layers.push(sensitivityOf(name, site, moments, blockSize, damping));
    return undefined;
  }
  return {...fitBlocks(site, moments, blockSize, density, damping), multiplyAdds: moments.rowsPerInput * site.kernel.size};
}

/** Calibration rows per weight of an output below which a layer that stays dense is not refit. */
const REFIT_ROWS_PER_WEIGHT = 4;

/** A layer that stays dense, refit to the original layer's output: every weight, as calibration refits kept blocks. */
export interface RefitWeight {
  kernel: tf.Tensor;
  bias?: tf.Tensor;
  /** The layer's output error relative to the original layer's on the calibration inputs: with its own weights, refit. */
  error: {original: number, refit: number};
}

/**
 * Refits a layer that stays dense (a head whose outputs the block size does
 * not divide, a layer kept dense for speed) to what the original layer
 * computed, from what the converted layers before it produce: all of its
 * weights by the same damped least squares, so that the error of the
 * converted layers before it is corrected where it can be; undefined
 * where the calibration inputs are too few to fit it.
 */
export async function refitSite(site: CalibrationSite, inputsOf: SiteInputs, options: CalibrationOptions): Promise<RefitWeight|undefined> {
  const m = await accumulate(site, inputsOf, options);
  // Fewer rows than REFIT_ROWS_PER_WEIGHT times the weights each output reads (a head after global pooling: one
  // row per input) fit the calibration inputs rather than the layer: such a layer is left as it was.
  if (m.rowsPerInput * options.inputs.shape[0] < REFIT_ROWS_PER_WEIGHT * m.width) {
    return undefined;
  }
  const start = originalWeights(site, m);
  // Every output column reads every row: one support, one factorisation.
  const all = Int32Array.from({length: m.width}, (_, r) => r);
  const supports = new Array<Int32Array>(m.outputs).fill(all);
  const fitted = solve(m, start, supports, 1, options.damping ?? DEFAULT_DAMPING);
  return {
    ...siteWeights(site, fitted),
    error: {original: relativeError(m, start, supports, 1), refit: relativeError(m, fitted, supports, 1)}
  };
}

/** A site's kernel rows and bias row as one [width, outputs] matrix: the weights a fit starts from and is pulled to. */
function originalWeights(site: CalibrationSite, m: Moments): Float64Array {
  const start = new Float64Array(m.width * m.outputs);
  start.set(site.kernel.dataSync());
  if (site.bias != null) {
    start.set(site.bias.dataSync(), site.kernel.size);
  }
  return start;
}

/** A fitted [width, outputs] matrix as the site's kernel (its shape) and bias. */
function siteWeights(site: CalibrationSite, fitted: Float64Array): {kernel: tf.Tensor, bias?: tf.Tensor} {
  return {
    kernel: tf.tensor(Float32Array.from(fitted.subarray(0, site.kernel.size)), site.kernel.shape, 'float32'),
    bias: site.bias != null ? tf.tensor1d(Float32Array.from(fitted.subarray(site.kernel.size)), 'float32') : undefined
  };
}

/** X̃ᵀX̃, X̃ᵀY and Σ Y² per output, X̃ the converted input's rows (with a ones column for the bias), Y the original output. */
interface Moments {
  /** Rows' width: taps * K, plus one for the bias. */
  width: number;
  outputs: number;
  /** Rows per model input (a conv's output pixels): the layer's multiply-adds per input are rowsPerInput * kernel size. */
  rowsPerInput: number;
  h: Float64Array;
  c: Float64Array;
  yy: Float64Array;
}

async function accumulate(site: CalibrationSite, inputsOf: SiteInputs, options: CalibrationOptions): Promise<Moments> {
  const [inputSize, outputs] = site.kernel.shape.slice(-2);
  const width = site.kernel.size / outputs + (site.bias != null ? 1 : 0);
  const moments: Moments = {
    width,
    outputs,
    rowsPerInput: 0,
    h: new Float64Array(width * width),
    c: new Float64Array(width * outputs),
    yy: new Float64Array(outputs)
  };
  const original = tf.tidy(() => {
    const w = tf.reshape(site.kernel, [-1, outputs]);
    return site.bias != null ? tf.concat([w, tf.reshape(site.bias, [1, outputs])]) : w;
  });
  const n = options.inputs.shape[0];
  const batchSize = options.batchSize ?? 16;
  try {
    for (let start = 0; start < n; start += batchSize) {
      const batch = tf.slice(options.inputs, start, Math.min(batchSize, n - start));
      const [xOriginal, xConverted] = await inputsOf(batch, start / batchSize);
      const parts = tf.tidy(() => {
        const withOnes = (rows: tf.Tensor2D) => site.bias != null ? tf.concat([rows, tf.ones([rows.shape[0], 1])], 1) : rows;
        const originalRows = withOnes(site.rows(xOriginal));
        const converted = xConverted == null ? originalRows : withOnes(site.rows(xConverted));
        if (converted.shape[1] !== width) {
          throw new Error(
              `calibrate: the layer's input has ${converted.shape[1]} values per row; its ${inputSize}-input kernel needs ${width}`);
        }
        moments.rowsPerInput = converted.shape[0] / batch.shape[0];
        const y = tf.matMul(originalRows, original);
        // An explicit transpose: tfjs-backend-wasm's matMul with transposeA is ten times slower.
        const convertedT = tf.transpose(converted);
        return [tf.matMul(convertedT, converted), tf.matMul(convertedT, y), tf.sum(tf.square(y), 0)];
      });
      tf.dispose([batch, xOriginal, ...(xConverted != null ? [xConverted] : [])]);
      [moments.h, moments.c, moments.yy].forEach((sum, i) => {
        const values = parts[i].dataSync();
        for (let k = 0; k < sum.length; k++) {
          sum[k] += values[k];
        }
      });
      tf.dispose(parts);
      await tf.nextFrame();
    }
  } finally {
    original.dispose();
  }
  return moments;
}

/** Saliency layout and least-squares refit from a layer's moments. */
function fitBlocks(site: CalibrationSite, m: Moments, blockSize: number, density: number, damping: number): CalibratedWeight {
  const [inputSize, outputs] = site.kernel.shape.slice(-2);
  const rows = site.kernel.size / outputs;
  const start = originalWeights(site, m);
  const salient = tf.tidy(() => {
    const scale = tf.tensor1d(Array.from({length: rows}, (_, r) => Math.sqrt(Math.max(0, m.h[r * m.width + r]))), 'float32');
    return tf.mul(site.kernel, tf.reshape(scale, [...site.kernel.shape.slice(0, -1), 1]));
  });
  const layout = magnitudeLayout(salient, blockSize, density);
  const pruned = magnitudeLayout(site.kernel, blockSize, density);
  salient.dispose();
  const [supports, prunedSupports] = [layout, pruned].map(l => supportsOf(l, rows / inputSize, inputSize, site.bias != null));
  const fitted = solve(m, start, supports, blockSize, damping);
  const magnitude = new Float64Array(start);
  zeroOutside(magnitude, prunedSupports, m.width, outputs, blockSize);
  return {
    layout,
    ...siteWeights(site, fitted),
    error: {magnitude: relativeError(m, magnitude, prunedSupports, blockSize), calibrated: relativeError(m, fitted, supports, blockSize)}
  };
}

/** Densities a budget allocation chooses among. */
const BUDGET_DENSITIES = [1, 1 / 2, 1 / 4, 1 / 8, 1 / 16];

/** A layer's calibrated output error at each density it can take, and its multiply-adds per input when dense. */
export interface Sensitivity {
  name: string;
  multiplyAdds: number;
  /** By density (blocks kept / blocks, for each of BUDGET_DENSITIES that keeps a block). */
  errors: Map<number, number>;
}

/** The calibrated output error of a layer at each of BUDGET_DENSITIES, from moments of its original input. */
function sensitivityOf(name: string, site: CalibrationSite, m: Moments, blockSize: number, damping: number): Sensitivity {
  const [inputSize, outputs] = site.kernel.shape.slice(-2);
  const blocks = (inputSize / blockSize) * (outputs / blockSize);
  const errors = new Map<number, number>([[1, 0]]);
  // The densities a layer can really take: its blocks kept over its blocks (1/8 of 4 blocks keeps 1, as 1/4 does).
  const reachable = new Set(BUDGET_DENSITIES.map(d => Math.round(d * blocks) / blocks).filter(d => d > 0 && d < 1));
  for (const density of reachable) {
    const fitted = fitBlocks(site, m, blockSize, density, damping);
    errors.set(density, fitted.error.calibrated);
    tf.dispose([fitted.kernel, ...(fitted.bias != null ? [fitted.bias] : [])]);
  }
  return {name, multiplyAdds: m.rowsPerInput * site.kernel.size, errors};
}

/**
 * Per-layer densities that keep at most `budget` of the layers' multiply-adds
 * while adding the least squared output error: every layer starts dense, and
 * the step down that costs the least error per multiply-add saved is taken
 * until the budget is met (or every layer is at its sparsest); then the steps
 * up that gain the most per multiply-add and still fit are taken, so the last
 * (large) step down does not leave budget unused.
 */
export function allocateBudget(layers: Sensitivity[], budget: number): Map<string, number> {
  const density = new Map(layers.map(l => [l.name, 1]));
  const total = layers.reduce((n, l) => n + l.multiplyAdds, 0);
  let kept = total;
  const step = (layer: Sensitivity, down: boolean) => {
    const from = density.get(layer.name)!;
    const options = [...layer.errors.keys()].filter(d => down ? d < from : d > from);
    const to = down ? Math.max(...options) : Math.min(...options);
    // Squared error added per multiply-add saved (down), or removed per multiply-add spent (up).
    const rate =
        options.length === 0 ? undefined : (layer.errors.get(to)! ** 2 - layer.errors.get(from)! ** 2) / (layer.multiplyAdds * (from - to));
    return {layer, to, rate, added: layer.multiplyAdds * (to - from)};
  };
  const take = (s: ReturnType<typeof step>) => {
    kept += s.added;
    density.set(s.layer.name, s.to);
  };
  while (kept > budget * total) {
    const best = layers.map(l => step(l, true)).filter(s => s.rate != null).sort((a, b) => a.rate! - b.rate!)[0];
    if (best == null) {
      break;
    }
    take(best);
  }
  for (;;) {
    const best = layers.map(l => step(l, false))
                     .filter(s => s.rate != null && kept + s.added <= budget * total)
                     .sort((a, b) => b.rate! - a.rate!)[0];
    if (best == null) {
      break;
    }
    take(best);
  }
  return density;
}

/** For each block column, the kernel rows its kept blocks read (every tap), then the bias row. */
function supportsOf(layout: BlockLayout, taps: number, inputSize: number, bias: boolean): Int32Array[] {
  const bs = layout.blockSize;
  return Array.from({length: layout.colBlocks}, (_, col) => {
    const keptRows = Array.from(layout.rows).filter((_, k) => layout.cols[k] === col).sort((a, b) => a - b);
    const support: number[] = [];
    for (let t = 0; t < taps; t++) {
      for (const r of keptRows) {
        for (let i = 0; i < bs; i++) {
          support.push(t * inputSize + r * bs + i);
        }
      }
    }
    if (bias) {
      support.push(taps * inputSize);
    }
    return Int32Array.from(support);
  });
}

function zeroOutside(w: Float64Array, supports: Int32Array[], width: number, outputs: number, bs: number) {
  const inside = new Uint8Array(width * outputs);
  supports.forEach((support, col) => support.forEach(r => inside.fill(1, r * outputs + col * bs, r * outputs + (col + 1) * bs)));
  inside.forEach((keep, k) => {
    if (!keep) {
      w[k] = 0;
    }
  });
}

/**
 * The weights [width, outputs] minimising, for each block column on its
 * support S, |X̃_S W_S - Y|² + λ|W_S - W0_S|², λ = damping × mean diag(X̃ᵀX̃)_S:
 * (H_SS + λI) W_S = C_S + λ W0_S. The pull towards the original keeps inputs the
 * calibration never saw (dead channels) as they were, and a weight that was
 * already block-sparse on S is returned as it was.
 */
function solve(m: Moments, start: Float64Array, supports: Int32Array[], bs: number, damping: number): Float64Array {
  const out = new Float64Array(start.length);
  const factors = new Map<string, {chol: Float64Array, lambda: number}>();
  supports.forEach((support, col) => {
    const size = support.length;
    if (size === 0) {
      return;
    }
    const key = support.join();
    let factor = factors.get(key);
    if (factor == null) {
      const a = new Float64Array(size * size);
      let trace = 0;
      for (let i = 0; i < size; i++) {
        for (let j = 0; j < size; j++) {
          a[i * size + j] = m.h[support[i] * m.width + support[j]];
        }
        trace += a[i * size + i];
      }
      factor = choleskyDamped(a, size, damping * trace / size);
      factors.set(key, factor);
    }
    for (let j = col * bs; j < (col + 1) * bs; j++) {
      const rhs = Float64Array.from(support, r => m.c[r * m.outputs + j] + factor!.lambda * start[r * m.outputs + j]);
      choleskySolve(factor.chol, size, rhs);
      support.forEach((r, i) => out[r * m.outputs + j] = rhs[i]);
    }
  });
  return out;
}

/** The Cholesky factor of a + λI, λ raised until the factorisation succeeds (λ > 0 even for an all-zero a). */
function choleskyDamped(a: Float64Array, n: number, lambda: number): {chol: Float64Array, lambda: number} {
  let damping = lambda > 0 && Number.isFinite(lambda) ? lambda : 1e-8;
  for (;;) {
    const l = Float64Array.from(a);
    for (let i = 0; i < n; i++) {
      l[i * n + i] += damping;
    }
    if (cholesky(l, n)) {
      return {chol: l, lambda: damping};
    }
    damping *= 10;
  }
}

/** In-place lower Cholesky factor of a symmetric n x n matrix; false when it is not positive definite. */
function cholesky(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let d = a[rowJ + j];
    for (let k = 0; k < j; k++) {
      d -= a[rowJ + k] * a[rowJ + k];
    }
    if (!(d > 0)) {
      return false;
    }
    const ljj = Math.sqrt(d);
    a[rowJ + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let s = a[rowI + j];
      for (let k = 0; k < j; k++) {
        s -= a[rowI + k] * a[rowJ + k];
      }
      a[rowI + j] = s / ljj;
    }
  }
  return true;
}

/** Solves L Lᵀ x = b in place. */
function choleskySolve(l: Float64Array, n: number, b: Float64Array) {
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) {
      s -= l[i * n + k] * b[k];
    }
    b[i] = s / l[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) {
      s -= l[k * n + i] * b[k];
    }
    b[i] = s / l[i * n + i];
  }
}

/** |X̃W - Y| / |Y| from the moments, W nonzero only on each block column's support. */
function relativeError(m: Moments, w: Float64Array, supports: Int32Array[], bs: number): number {
  let error = 0;
  let total = 0;
  supports.forEach((support, col) => {
    for (let j = col * bs; j < (col + 1) * bs; j++) {
      let quadratic = 0;
      let linear = 0;
      for (const a of support) {
        const wa = w[a * m.outputs + j];
        if (wa === 0) {
          continue;
        }
        linear += wa * m.c[a * m.outputs + j];
        let row = 0;
        for (const b of support) {
          row += m.h[a * m.width + b] * w[b * m.outputs + j];
        }
        quadratic += wa * row;
      }
      error += quadratic - 2 * linear + m.yy[j];
      total += m.yy[j];
    }
  });
  return total > 0 ? Math.sqrt(Math.max(0, error) / total) : 0;
}

/** Rows of a matmul's x: [..., M, K] (or [..., K, M] transposed) as [rows, K]. */
export function matMulRows(transposeA: boolean): RowsOf {
  return x => tf.tidy(() => {
    const swapLast = Array.from({length: x.rank}, (_, d) => d < x.rank - 2 ? d : 2 * x.rank - 3 - d);
    const oriented = transposeA ? tf.transpose(x, swapLast) : x;
    return tf.reshape(oriented, [-1, oriented.shape[oriented.rank - 1]]) as tf.Tensor2D;
  });
}

/** Padding as tfjs's conv ops take it: 'same', 'valid', or explicit [[0, 0], [top, bottom], [left, right], [0, 0]]. */
export type ConvPadding = 'same'|'valid'|[[number, number], [number, number], [number, number], [number, number]];

/** A NHWC conv's image patches, [n * outHeight * outWidth, kh * kw * C] in the order of the [kh, kw, C, N] filter's rows. */
export function convRows(
    filterShape: [number, number, number, number], strides: [number, number], dilations: [number, number], padding: ConvPadding): RowsOf {
  const [kh, kw, channels] = filterShape;
  return x => tf.tidy(() => {
    const info =
        tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, dilations, padding as 'same');
    const {top, bottom, left, right} = info.padInfo;
    const padded = tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]);
    const taps: tf.Tensor[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const [r, c] = [i * info.dilationHeight, j * info.dilationWidth];
        taps.push(tf.stridedSlice(
            padded, [0, r, c, 0],
            [x.shape[0], r + (info.outHeight - 1) * info.strideHeight + 1, c + (info.outWidth - 1) * info.strideWidth + 1, channels],
            [1, info.strideHeight, info.strideWidth, 1]));
      }
    }
    return tf.reshape(taps.length === 1 ? taps[0] : tf.concat(taps, 3), [-1, kh * kw * channels]) as tf.Tensor2D;
  });
}
