import * as tf from '@tensorflow/tfjs';
// The loaded model is made of these classes: they must be registered.
import '@tfjs-blocksparse/layers';

import {findWeight, foldActivations, foldBatchNorms} from './fold_layers';
import {artifactsOf} from './model_artifacts';
import {sparsifyGraphModel} from './sparsify_graph';
import {calibrationBatches, CalibratedWeight, CalibrationOptions, CalibrationSite, calibrateSite, checkInputShape, convRows, matMulRows, refitSite, RefitWeight, RowsOf, SensitivityProbe, SiteInputs} from './calibrate';
import {FrontierStepper, steppedLayers} from './frontier_stepper';
import {SpeedCheck, TimedLayer} from './speed_check';
import {alreadySparseReport, blockProblem, checkOptions, densityOf, denseReport, filteredOut, LayerReport, sparsifyKernel, SparsifyOptions, SparsifyReport, totalsOf} from './sparsify_weight';
import {withTolerance} from './tolerance';

export type LayerJSON = {
  class_name: string,
  config: Record<string, unknown>
};
type Weights = Record<string, tf.Tensor>;

const SPARSE_CLASS: Record<string, string> = {
  Dense: 'BlockSparseDense',
  Conv2D: 'BlockSparseConv2D'
};

/**
 * A new LayersModel where matching Dense and Conv2D layers (in Sequential,
 * functional and nested models) become BlockSparseDense / BlockSparseConv2D,
 * keeping the blocks chosen by `layout` of the trained kernels. Biases and
 * every other layer carry over unchanged; layers that cannot be converted
 * stay dense and the report says why. Works through tfjs's own
 * serialization: the result saves and loads like any LayersModel.
 *
 * A GraphModel gets the same treatment for its MatMul, BatchMatMul,
 * _FusedMatMul, Conv2D and FusedConv2D nodes (see sparsifyGraphModel).
 */
export async function sparsifyModel<M extends tf.LayersModel|tf.GraphModel>(
    model: M, options: SparsifyOptions): Promise<{model: M, report: SparsifyReport}> {
  if (model instanceof tf.GraphModel) {
    return sparsifyGraphModel(model, options) as Promise<{model: M, report: SparsifyReport}>;
  }
  checkOptions(options);
  const folded =
      options.foldBatchNorm === false ? {model: model as tf.LayersModel, folded: []} : await foldBatchNorms(model as tf.LayersModel);
  try {
    const result = await withTolerance(folded.model, options, (o, probe) => sparsifyLayersModel(folded.model, o, probe));
    result.report.folded = [...folded.folded, ...result.report.folded ?? []];
    result.report.model.paramsBefore = (model as tf.LayersModel).countParams();
    return result as {model: M, report: SparsifyReport};
  } finally {
    if (folded.model !== model) {
      folded.model.dispose();
    }
  }
}

async function sparsifyLayersModel(
    model: tf.LayersModel, options: SparsifyOptions, probe?: SensitivityProbe): Promise<{model: tf.LayersModel, report: SparsifyReport}> {
  const artifacts = await artifactsOf(model);
  const {modelTopology, weightSpecs, weightData} = artifacts;
  const weights = tf.io.decodeWeights(weightData!, weightSpecs!);
  const topology = JSON.parse(JSON.stringify(modelTopology)) as LayerJSON;
  const layers: LayerReport[] = [];
  const all: LayerJSON[] = [];
  visitLayers(topology, layer => all.push(layer));
  const candidates = all.filter(layer => layer.class_name in SPARSE_CLASS || Object.values(SPARSE_CLASS).includes(layer.class_name)).length;
  const calibration = options.calibrate != null ?
      new LayersCalibration(model, await tf.loadLayersModel(tf.io.fromMemory(artifacts)), options.calibrate, probe) :
      undefined;
  const speed = options.onlyFaster ? new SpeedCheck(layerInputShapes(model), options.timeOn) : undefined;
  try {
    for (const layer of calibration?.inOrder(all) ?? all) {
      const report = await convertLayer(layer, weights, options, calibration, speed);
      if (report != null) {
        layers.push(report);
        options.onProgress?.(layers.length, candidates, report.name);
      }
    }
    const folded = foldActivations(topology);
    const encoded = await tf.io.encodeWeights(weights);
    const sparse = await tf.loadLayersModel(tf.io.fromMemory({
      ...artifacts,
      modelTopology: topology as unknown as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs: encoded.specs,
      weightData: encoded.data
    }));
    return {
      model: sparse,
      report: {layers, totals: totalsOf(layers), model: {paramsBefore: model.countParams(), paramsAfter: sparse.countParams()}, folded}
    };
  } finally {
    tf.dispose(weights);
    calibration?.dispose();
  }
}

/**
 * Calibration of a Layers model: each layer's input comes from the original
 * model and from a working copy whose converted layers already hold their
 * calibrated weights (dense, zero outside the kept blocks: the same function
 * as the block-sparse layer), each stepped forward layer by layer
 * (FrontierStepper) where the model is functional and flat, else computed
 * from the model's input for each layer.
 */
class LayersCalibration {
  private readonly batches: tf.Tensor[] = [];
  private readonly original?: FrontierStepper;
  /** Undefined until a layer is calibrated: until then both streams are the same. */
  private converted?: FrontierStepper;
  /** Whether a layer of the working copy holds calibrated weights yet. */
  private changed = false;

  constructor(
      private readonly originalModel: tf.LayersModel, private readonly working: tf.LayersModel,
      private readonly options: CalibrationOptions, private readonly probe?: SensitivityProbe) {
    if (originalModel.inputs.length !== 1) {
      throw new Error(`calibrate: the model has ${originalModel.inputs.length} inputs; calibration takes models with one`);
    }
    checkInputShape(originalModel.inputs[0].shape, options.inputs);
    const stepped = steppedLayers(originalModel);
    if (stepped != null) {
      this.original = new FrontierStepper(stepped);
      this.batches = calibrationBatches(options, originalModel.inputs[0].dtype);
    }
  }

  /** Layers in the order calibration must visit them (after the layers they read). */
  inOrder(layers: LayerJSON[]): LayerJSON[] {
    const at = (layer: LayerJSON) => this.original?.positionOf(layer.config.name as string) ?? 0;
    return [...layers].sort((a, b) => at(a) - at(b));
  }

  /**
   * Undefined for a layer whose input cannot be reached from the model's (inside a nested model, or shared).
   * With `norm`, the fitted intercept moves that BatchNormalization's mean instead of a bias.
   */
  async calibrate(name: string, site: CalibrationSite, blockSize: number, density: number, norm?: FollowingNorm):
      Promise<CalibratedWeight|undefined> {
    const inputsOf = await this.inputsOf(name);
    if (inputsOf == null) {
      return undefined;
    }
    const fitted = await calibrateSite(name, site, inputsOf, this.options, blockSize, density, this.probe);
    if (fitted != null) {
      const layer = this.working.getLayer(name);
      layer.setWeights(layer.weights.length > 1 ? [fitted.kernel, fitted.bias!] : [fitted.kernel]);
      if (norm != null) {
        const normLayer = this.working.getLayer(norm.name);
        tf.tidy(() => normLayer.setWeights(normLayer.getWeights().map((w, i) => i === norm.meanIndex ? tf.sub(w, fitted.bias!) : w)));
      }
      this.changed = true;
      this.converted ??= this.original?.fork(steppedLayers(this.working)!);
    }
    return fitted;
  }

  /**
   * Refits a layer that stays dense to the original's output from the converted model's input, and gives the
   * working copy its refit weights; undefined when nothing before it has changed or its input cannot be reached.
   */
  async refit(name: string, site: CalibrationSite): Promise<RefitWeight|undefined> {
    const inputsOf = this.changed && this.probe == null && this.options.refitDense !== false ? await this.inputsOf(name) : undefined;
    if (inputsOf == null) {
      return undefined;
    }
    const fitted = await refitSite(site, inputsOf, this.options);
    if (fitted != null) {
      this.working.getLayer(name).setWeights(fitted.bias != null ? [fitted.kernel, fitted.bias] : [fitted.kernel]);
    }
    return fitted;
  }

  /** The BatchNormalization over the last axis that is a bias-less layer's only reader, and where its moving mean is. */
  followingNorm(name: string): FollowingNorm|undefined {
    let layer: tf.layers.Layer;
    try {
      layer = this.originalModel.getLayer(name);
    } catch {
      return undefined;
    }
    const readers = layer.outboundNodes.map(node => node.outboundLayer);
    const norm = readers[0];
    const config = norm?.getConfig() as {axis?: number | number[]};
    const outputRank = (layer.outputShape as number[]).length;
    if (readers.length !== 1 || norm.getClassName() !== 'BatchNormalization' ||
        ![-1, outputRank - 1].includes(Array.isArray(config.axis) ? config.axis[0] : config.axis ?? -1)) {
      return undefined;
    }
    return {name: norm.name, meanIndex: norm.weights.findIndex(w => w.originalName.endsWith('/moving_mean'))};
  }

  private async inputsOf(name: string): Promise<SiteInputs|undefined> {
    if (this.original != null) {
      const x = this.originalModel.getLayer(name).inboundNodes[0].inboundLayers[0].name;
      const originals = await this.original.step(x, this.batches);
      const converted = await this.converted?.step(x, this.batches);
      return async (_, b) => [originals[b](), converted?.[b]() ?? null];
    }
    const [original, working] = [this.originalModel, this.working].map(model => inputOfLayer(model, name));
    if (original == null || working == null) {
      return undefined;
    }
    return async batch => [original(batch), this.changed ? working(batch) : null];
  }

  dispose() {
    tf.dispose(this.batches);
    this.working.dispose();
  }
}

/** A BatchNormalization that reads a bias-less layer, and its moving mean's index among its weights. */
interface FollowingNorm {
  name: string;
  meanIndex: number;
}

/** The function from a model's input to a top-level layer's input, or undefined. */
function inputOfLayer(model: tf.LayersModel, name: string): ((x: tf.Tensor) => tf.Tensor)|undefined {
  let input: tf.SymbolicTensor|tf.SymbolicTensor[];
  try {
    input = model.getLayer(name).input;
  } catch {
    return undefined;
  }
  if (Array.isArray(input) || model.inputs.length !== 1) {
    return undefined;
  }
  if (input === model.inputs[0]) {
    return x => x.clone();
  }
  const prefix = tf.model({inputs: model.inputs, outputs: input});
  return x => prefix.predict(x) as tf.Tensor;
}

/** How a Dense or Conv2D layer turns its input into rows of its kernel's product. */
function rowsOfLayer(layer: LayerJSON, kernel: tf.Tensor): RowsOf {
  if (layer.class_name === 'Dense') {
    return matMulRows(false);
  }
  const pair = (value: unknown) => (Array.isArray(value) ? value : [value ?? 1, value ?? 1]) as [number, number];
  return convRows(
      kernel.shape as [number, number, number, number], pair(layer.config.strides), pair(layer.config.dilation_rate),
      layer.config.padding === 'same' ? 'same' : 'valid');
}

/** Every layer of a topology, nested models included, in the order they are applied. */
/** Each layer's input shape at batch 1, nested models' layers included, where it is fixed (one input, every other dim known). */
function layerInputShapes(model: tf.LayersModel): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  type LayerShapes = {name: string, input: tf.SymbolicTensor | tf.SymbolicTensor[], layers?: LayerShapes[]};
  const visit = (layer: LayerShapes) => {
    if (Array.isArray(layer.layers)) {
      layer.layers.forEach(visit);
      return;
    }
    let input: tf.SymbolicTensor|tf.SymbolicTensor[];
    try {
      input = layer.input;
    } catch {
      return;  // tfjs throws for a layer called on several inputs (a shared layer)
    }
    const shape = Array.isArray(input) ? null : input.shape;
    if (shape != null && shape.slice(1).every(d => d != null && d > 0)) {
      shapes.set(layer.name, [1, ...(shape as number[]).slice(1)]);
    }
  };
  (model.layers as unknown as LayerShapes[]).forEach(visit);
  return shapes;
}

export function visitLayers(node: LayerJSON, visit: (layer: LayerJSON) => void) {
  const children = (node.config as {layers?: LayerJSON[]})?.layers;
  if (Array.isArray(children)) {
    children.forEach(child => visitLayers(child, visit));
  } else {
    visit(node);
  }
}

/** A Conv2D layer's geometry as the ops take it (undefined for Dense). */
function layersConvGeometry(layer: LayerJSON, kernel: tf.Tensor): TimedLayer['conv'] {
  if (kernel.rank !== 4) {
    return undefined;
  }
  const pair = (value: unknown): [number, number] => Array.isArray(value) ? [value[0], value[1]] : [Number(value ?? 1), Number(value ?? 1)];
  return {
    strides: pair(layer.config.strides),
    pad: layer.config.padding === 'same' ? 'same' : 'valid',
    dilations: pair(layer.config.dilation_rate)
  };
}

async function convertLayer(
    layer: LayerJSON, weights: Weights, options: SparsifyOptions, calibration?: LayersCalibration,
    speed?: SpeedCheck): Promise<LayerReport|null> {
  const sparseClass = SPARSE_CLASS[layer.class_name];
  if (Object.values(SPARSE_CLASS).includes(layer.class_name)) {
    return alreadySparseReport(layer.config.name as string, layer.class_name);
  }
  if (sparseClass == null) {
    return null;
  }
  const className = layer.class_name;
  const name = layer.config.name as string;
  const kernelKey = findWeight(weights, name, 'kernel');
  const biasKey = findWeight(weights, name, 'bias');
  const kernel = kernelKey == null ? undefined : weights[kernelKey];
  const biasParams = biasKey == null ? 0 : weights[biasKey].size;
  const dense = (reason: string) => denseReport(name, className, kernel?.shape ?? [], biasParams, reason);
  const filtered = filteredOut(name, options);
  if (filtered != null) {
    return dense(filtered);
  }
  if (kernel == null) {
    return dense('no kernel weight found');
  }
  if (layer.config.data_format != null && layer.config.data_format !== 'channels_last') {
    return dense(`data format ${layer.config.data_format} (only channels_last is supported)`);
  }
  const timed = speed != null && blockProblem(name, kernel.shape, options) == null ?
      await speed.check(
          name, {kernelShape: kernel.shape, conv: layersConvGeometry(layer, kernel), bias: biasKey != null}, densityOf(name, options),
          options.blockSize) :
      {};
  // With calibration, a layer that stays dense is refit to the original's output (refitSite).
  const refitDense = async(report: LayerReport): Promise<LayerReport> => {
    const fitted = calibration == null ?
        undefined :
        await calibration.refit(name, {kernel, bias: biasKey != null ? weights[biasKey] : undefined, rows: rowsOfLayer(layer, kernel)});
    if (fitted == null) {
      return report;
    }
    weights[kernelKey!].dispose();
    weights[kernelKey!] = fitted.kernel;
    if (biasKey != null) {
      weights[biasKey].dispose();
      weights[biasKey] = fitted.bias!;
    }
    return {...report, refitError: fitted.error};
  };
  if (timed.reason != null) {
    return refitDense({...dense(timed.reason), speedup: timed.speedup});
  }
  let calibrated: CalibratedWeight|undefined;
  if (calibration != null && blockProblem(name, kernel.shape, options) == null) {
    // A bias-less layer that a BatchNormalization reads gets an intercept all the same: the norm's mean absorbs it.
    const norm = biasKey == null ? calibration.followingNorm(name) : undefined;
    const outputs = kernel.shape[kernel.rank - 1];
    const bias = biasKey != null ? weights[biasKey] : norm != null ? tf.zeros([outputs]) : undefined;
    calibrated = await calibration.calibrate(
        name, {kernel, bias, rows: rowsOfLayer(layer, kernel)}, options.blockSize, densityOf(name, options), norm);
    if (calibrated?.bias != null) {
      const key = biasKey ?? findWeight(weights, norm!.name, 'moving_mean')!;
      const updated = biasKey != null ? calibrated.bias : tf.sub(weights[key], calibrated.bias);
      weights[key].dispose();
      weights[key] = updated;
    }
    if (norm != null) {
      tf.dispose([bias!, ...(calibrated?.bias != null ? [calibrated.bias] : [])]);
    }
  }
  const {packed, layout, report} = sparsifyKernel(kernel, name, className, biasParams, options, calibrated);
  calibrated?.kernel.dispose();
  if (packed == null || layout == null) {
    return refitDense(report);
  }
  report.speedup = timed.speedup;
  kernel.dispose();
  weights[kernelKey!] = packed;
  layer.class_name = sparseClass;
  Object.assign(layer.config, {
    block_size: layout.blockSize,
    density: layout.density,
    layout_kind: options.layout ?? 'magnitude',
    seed: options.seed ?? 0,
    layout: {block_size: layout.blockSize, row_blocks: layout.rowBlocks, col_blocks: layout.colBlocks, blocks: layout.toJSON().blocks}
  });
  return report;
}
