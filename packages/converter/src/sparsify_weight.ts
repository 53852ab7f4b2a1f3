import * as tf from '@tensorflow/tfjs';
import {BlockLayout, magnitudeLayout, randomLayout, smallWorldLayout, sparsify} from '@tfjs-blocksparse/core';

import {CalibratedWeight, CalibrationOptions, checkCalibration} from './calibrate';

export interface SparsifyOptions {
  /** Fraction of blocks kept in each converted layer, in (0, 1]. */
  density: number;
  blockSize: number;
  /** Convert only layers (graph: nodes) whose name matches. */
  include?: RegExp;
  /** Keep layers (graph: nodes) whose name matches dense. */
  exclude?: RegExp;
  /** How blocks are chosen: the largest-norm blocks of the trained weight (default), or a generator. */
  layout?: 'magnitude'|'random'|'smallWorld';
  seed?: number;
  /**
   * Unlabelled inputs to calibrate with (one-shot reconstruction, see calibrate.ts): blocks are chosen by their
   * effect on each layer's output and refit so that the layer reproduces the original's. Replaces `layout`.
   */
  calibrate?: CalibrationOptions;
  /** Per-layer (graph: per-node) densities by name, in place of `density` for the layers named. */
  densities?: Record<string, number>;
  /**
   * Keep this fraction of the calibrated layers' multiply-adds, each layer's density (1 to 1/16) chosen from its
   * measured sensitivity: sensitive layers denser, robust ones sparser. Needs `calibrate`; replaces `density`
   * and `densities`.
   */
  budget?: number;
  /**
   * The most the converted model's outputs may differ from the original's (relative error, the mean over its
   * outputs) on a held-out fifth of the calibration inputs, which the calibration then does not fit: above it,
   * the layers whose conversion alone errs most are kept dense, as few as a bisection finds. Needs `calibrate`;
   * applies to the conversion `density`, `densities` or `budget` asks for.
   */
  tolerance?: number;
  /** Layers (graph: nodes) kept dense by name (what a tolerance chose). */
  keepDense?: string[];
  /**
   * Time each layer on the active tfjs backend at batch 1, dense against
   * block-sparse at its density, and keep dense those that would not be
   * faster (the reason in the report): a converted model is never the
   * slower one layer by layer. Layers whose input shape is not fixed are
   * converted untimed.
   */
  onlyFaster?: boolean;
  /**
   * With onlyFaster: the tfjs backend to time the layers on (registered; default the active one), while the
   * conversion itself computes on the active backend: e.g. 'webgpu' from cpu in Node, where webgpu cannot
   * read tensors back synchronously as the conversion does.
   */
  timeOn?: string;
  /**
   * Fold each inference BatchNormalization into the Conv2D, DepthwiseConv2D
   * or Dense layer it alone reads (graph models: a per-channel Mul after a
   * conv into its filter) (default true): kernel scaled per channel, the
   * shift a bias, run in the product's kernel. Exact to float rounding; a
   * model stored as uint8 afterwards loses the small channels' precision.
   * (Activations, and a graph's bias Add, always join the kernel before them.)
   */
  foldBatchNorm?: boolean;
  /** Called after each Dense/Conv2D layer (graph: MatMul/Conv2D node) is handled. */
  onProgress?: (done: number, total: number, layerName: string) => void;
}

export interface LayerReport {
  name: string;
  className: string;
  kernelShape: number[];
  converted: boolean;
  /** Why a Dense or Conv2D layer stayed dense. */
  reason?: string;
  /** The layer (graph: node) was block-sparse already: a model converted before is left as it was. */
  alreadySparse?: boolean;
  blocksKept?: number;
  blocksTotal?: number;
  density?: number;
  /** ||kept kernel|| / ||kernel||. */
  normKept?: number;
  /** With calibration: the layer's output error relative to the original layer's, magnitude pruning's and calibration's. */
  outputError?: CalibratedWeight['error'];
  /** With calibration, a layer that stays dense refit to the original's output: its output error before and after. */
  refitError?: {original: number, refit: number};
  /** With onlyFaster: tfjs's dense op's time / the block-sparse op's at batch 1, on the backend converted on. */
  speedup?: number;
  /** With calibration: the dense layer's multiply-adds per model input. */
  multiplyAdds?: number;
  paramsBefore: number;
  paramsAfter: number;
  bytesBefore: number;
  bytesAfter: number;
}

export interface SparsifyReport {
  layers: LayerReport[];
  /** Over the converted and convertible layers. */
  totals: {
    converted: number,
    paramsBefore: number,
    paramsAfter: number,
    bytesBefore: number,
    bytesAfter: number,
    /**
     * With calibration: the calibrated layers' multiply-adds per model input, dense and at their densities (under a
     * tolerance, with the layers it kept dense).
     */
    multiplyAdds?: {before: number, after: number}
  };
  /** Over the whole model. */
  model: {paramsBefore: number, paramsAfter: number};
  /**
   * The layers folded into the layers before them (BatchNormalization, activations), or the graph nodes taken into
   * block-sparse nodes' epilogues (a bias Add, activations).
   */
  folded?: string[];
  /**
   * Under a budget: the model's output error relative to the original's on the calibration inputs (mean over its
   * outputs) with densities allocated per layer and with the budget as one density for all, and which was kept.
   */
  budget?: {budget: number, kept: 'per layer'|'uniform', outputError: {perLayer: number, uniform: number}};
  /**
   * Under a tolerance: the model's output error on the held-out fifth of the calibration inputs (their number) as
   * first converted and as kept, the layers kept dense to reach it, and each conversion the bisection tried (layers
   * kept dense, output error).
   */
  tolerance?: {
    tolerance: number,
    heldOutInputs: number,
    outputError: {converted: number, kept: number},
    keptDense: string[],
    tried: Array<{keptDense: number, outputError: number}>
  };
}

export function checkOptions(options: SparsifyOptions) {
  if (!(options.density > 0 && options.density <= 1)) {
    throw new Error(`sparsifyModel: density must be in (0, 1], got ${options.density}`);
  }
  if (!Number.isInteger(options.blockSize) || options.blockSize <= 0) {
    throw new Error(`sparsifyModel: blockSize must be a positive integer, got ${options.blockSize}`);
  }
  const kinds = ['magnitude', 'random', 'smallWorld'];
  if (options.layout != null && !kinds.includes(options.layout)) {
    throw new Error(`sparsifyModel: layout must be one of ${kinds.join(', ')}, got '${options.layout}'`);
  }
  for (const [name, density] of Object.entries(options.densities ?? {})) {
    if (!(density > 0 && density <= 1)) {
      throw new Error(`sparsifyModel: densities['${name}'] must be in (0, 1], got ${density}`);
    }
  }
  if (options.budget != null && !(options.budget > 0 && options.budget <= 1 && options.calibrate != null)) {
    throw new Error(
        `sparsifyModel: budget must be in (0, 1] and needs calibrate (inputs to measure sensitivity on); got ${options.budget}` +
        `${options.calibrate == null ? ' without calibrate' : ''}`);
  }
  if (options.tolerance != null && !(options.tolerance >= 0 && options.calibrate != null)) {
    throw new Error(
        `sparsifyModel: tolerance must be >= 0 and needs calibrate (inputs to measure the output error on); got ${options.tolerance}` +
        `${options.calibrate == null ? ' without calibrate' : ''}`);
  }
  if (options.timeOn != null && !(options.onlyFaster && tf.findBackendFactory(options.timeOn) != null)) {
    throw new Error(
        `sparsifyModel: timeOn '${options.timeOn}' ${
            !options.onlyFaster ? 'times layers for onlyFaster, which is not set' :
                                  `is not a registered tfjs backend (registered: ${registeredBackends().join(', ')})`}`);
  }
  if (options.calibrate != null) {
    if (options.layout != null && options.layout !== 'magnitude') {
      throw new Error(`sparsifyModel: calibrate chooses the blocks itself; it takes no layout '${options.layout}'`);
    }
    checkCalibration(options.calibrate);
  }
}

/** The names of the tfjs backends registered (tfjs lists them only as the engine's registry). */
function registeredBackends(): string[] {
  return Object.keys(tf.engine().registryFactory);
}

/** Why a weight named `name` stays dense by the include/exclude filters, or undefined. */
export function filteredOut(name: string, options: SparsifyOptions): string|undefined {
  if (options.include != null && !options.include.test(name)) {
    return 'not matched by include';
  }
  if (options.exclude != null && options.exclude.test(name)) {
    return 'matched by exclude';
  }
  if (options.keepDense?.includes(name)) {
    return 'listed in keepDense';
  }
  return undefined;
}

/** The report of a weight that stays dense. */
export function denseReport(name: string, className: string, kernelShape: number[], biasParams: number, reason: string): LayerReport {
  const params = kernelShape.reduce((a, b) => a * b, kernelShape.length === 0 ? 0 : 1) + biasParams;
  return {
    name,
    className,
    kernelShape,
    converted: false,
    reason,
    paramsBefore: params,
    paramsAfter: params,
    bytesBefore: 4 * params,
    bytesAfter: 4 * params
  };
}

/** The density of each layer (graph: node) a report converted, by name. */
export function convertedDensities(report: SparsifyReport): Record<string, number> {
  return Object.fromEntries(report.layers.filter(l => l.converted).map(l => [l.name, l.density!]));
}

/** The density a layer (graph: node) is converted at. */
export function densityOf(name: string, options: SparsifyOptions): number {
  return options.densities?.[name] ?? options.density;
}

/** Why a [..., K, N] kernel cannot be cut into blocks of options.blockSize at its density, or undefined. */
export function blockProblem(name: string, kernelShape: number[], options: SparsifyOptions): string|undefined {
  const [inputSize, outputSize] = kernelShape.slice(-2);
  const bs = options.blockSize;
  if (inputSize % bs !== 0 || outputSize % bs !== 0) {
    return `block size ${bs} does not divide the kernel's ${inputSize} x ${outputSize}`;
  }
  const blocks = (inputSize / bs) * (outputSize / bs);
  const density = densityOf(name, options);
  return Math.round(density * blocks) < 1 ? `density ${density} keeps no block of its ${blocks}` : undefined;
}

/** The report of a layer (graph: node) that was block-sparse before the conversion. */
export function alreadySparseReport(name: string, className: string): LayerReport {
  return {
    name,
    className,
    kernelShape: [],
    converted: false,
    alreadySparse: true,
    reason: 'already block-sparse',
    paramsBefore: 0,
    paramsAfter: 0,
    bytesBefore: 0,
    bytesAfter: 0
  };
}

/**
 * The packed weight and layout of a [..., K, N] kernel (blocks chosen by
 * options.layout, or by calibration: then `calibrated` holds the layout and
 * the refit weight that is packed), and its report; undefined packed with
 * the reason in the report when the block size does not divide the kernel.
 */
export function sparsifyKernel(
    kernel: tf.Tensor, name: string, className: string, biasParams: number, options: SparsifyOptions,
    calibrated?: CalibratedWeight): {packed?: tf.Tensor, layout?: BlockLayout, report: LayerReport} {
  const kernelShape = kernel.shape;
  const problem = blockProblem(name, kernelShape, options);
  if (problem != null) {
    return {report: denseReport(name, className, kernelShape, biasParams, problem)};
  }
  const layout = calibrated?.layout ?? chooseLayout(kernel, densityOf(name, options), options);
  const packed = sparsify(calibrated?.kernel ?? kernel, layout);
  const normKept = Math.sqrt(tf.tidy(() => tf.sum(tf.square(packed)).dataSync()[0] / tf.sum(tf.square(kernel)).dataSync()[0]));
  const paramsAfter = packed.size + biasParams;
  return {
    packed,
    layout,
    report: {
      name,
      className,
      kernelShape,
      converted: true,
      blocksKept: layout.nnz,
      blocksTotal: layout.rowBlocks * layout.colBlocks,
      density: layout.density,
      normKept: Number.isFinite(normKept) ? normKept : 1,
      outputError: calibrated?.error,
      multiplyAdds: calibrated?.multiplyAdds,
      paramsBefore: kernel.size + biasParams,
      paramsAfter,
      bytesBefore: 4 * (kernel.size + biasParams),
      bytesAfter: 4 * paramsAfter
    }
  };
}

function chooseLayout(kernel: tf.Tensor, density: number, options: SparsifyOptions): BlockLayout {
  const [inputSize, outputSize] = kernel.shape.slice(-2);
  const spec = {inputSize, outputSize, blockSize: options.blockSize, density, seed: options.seed ?? 0};
  switch (options.layout ?? 'magnitude') {
    case 'random':
      return randomLayout(spec);
    case 'smallWorld':
      return smallWorldLayout(spec);
    default:
      return magnitudeLayout(kernel, options.blockSize, density);
  }
}

export function totalsOf(layers: LayerReport[]): SparsifyReport['totals'] {
  const sum = (key: 'paramsBefore'|'paramsAfter'|'bytesBefore'|'bytesAfter') => layers.reduce((n, l) => n + l[key], 0);
  const calibrated = layers.filter(l => l.multiplyAdds != null);
  return {
    converted: layers.filter(l => l.converted).length,
    paramsBefore: sum('paramsBefore'),
    paramsAfter: sum('paramsAfter'),
    bytesBefore: sum('bytesBefore'),
    bytesAfter: sum('bytesAfter'),
    ...(calibrated.length === 0 ? {} : {
      multiplyAdds: {
        before: calibrated.reduce((n, l) => n + l.multiplyAdds!, 0),
        after: calibrated.reduce((n, l) => n + l.multiplyAdds! * l.density!, 0)
      }
    })
  };
}
