import * as tf from '@tensorflow/tfjs';
import {BlockLayout, magnitudeLayout, randomLayout, smallWorldLayout, sparsify} from '@tfjs-blocksparse/core';
// The loaded model is made of these classes: they must be registered.
import '@tfjs-blocksparse/layers';

export interface SparsifyOptions {
  /** Fraction of blocks kept in each converted layer, in (0, 1]. */
  density: number;
  blockSize: number;
  /** Convert only layers whose name matches. */
  include?: RegExp;
  /** Keep layers whose name matches dense. */
  exclude?: RegExp;
  /** How blocks are chosen: the largest-norm blocks of the trained weight (default), or a generator. */
  layout?: 'magnitude'|'random'|'smallWorld';
  seed?: number;
  /** Called after each Dense/Conv2D layer is handled. */
  onProgress?: (done: number, total: number, layerName: string) => void;
}

export interface LayerReport {
  name: string;
  className: string;
  kernelShape: number[];
  converted: boolean;
  /** Why a Dense or Conv2D layer stayed dense. */
  reason?: string;
  blocksKept?: number;
  blocksTotal?: number;
  density?: number;
  /** ||kept kernel|| / ||kernel||. */
  normKept?: number;
  paramsBefore: number;
  paramsAfter: number;
  bytesBefore: number;
  bytesAfter: number;
}

export interface SparsifyReport {
  layers: LayerReport[];
  /** Over the converted and convertible layers. */
  totals: {converted: number, paramsBefore: number, paramsAfter: number, bytesBefore: number, bytesAfter: number};
  /** Over the whole model. */
  model: {paramsBefore: number, paramsAfter: number};
}

type LayerJSON = {class_name: string, config: Record<string, unknown>};
type Weights = Record<string, tf.Tensor>;

const SPARSE_CLASS: Record<string, string> = {Dense: 'BlockSparseDense', Conv2D: 'BlockSparseConv2D'};

/**
 * A new LayersModel where matching Dense and Conv2D layers (in Sequential,
 * functional and nested models) become BlockSparseDense / BlockSparseConv2D,
 * keeping the blocks chosen by `layout` of the trained kernels. Biases and
 * every other layer carry over unchanged; layers that cannot be converted
 * stay dense and the report says why. Works through tfjs's own
 * serialization: the result saves and loads like any LayersModel.
 */
export async function sparsifyModel(model: tf.LayersModel, options: SparsifyOptions):
    Promise<{model: tf.LayersModel, report: SparsifyReport}> {
  checkOptions(options);
  let artifacts: tf.io.ModelArtifacts|undefined;
  await model.save(tf.io.withSaveHandler(async a => {
    artifacts = a;
    return {modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a)};
  }));
  const {modelTopology, weightSpecs, weightData} = artifacts!;
  const weights = tf.io.decodeWeights(weightData!, weightSpecs!);
  const topology = JSON.parse(JSON.stringify(modelTopology)) as LayerJSON;
  const layers: LayerReport[] = [];
  let candidates = 0;
  visitLayers(topology, layer => {
    candidates += layer.class_name in SPARSE_CLASS ? 1 : 0;
  });
  try {
    visitLayers(topology, layer => {
      const report = convertLayer(layer, weights, options);
      if (report != null) {
        layers.push(report);
        options.onProgress?.(layers.length, candidates, report.name);
      }
    });
    const encoded = await tf.io.encodeWeights(weights);
    const sparse = await tf.loadLayersModel(tf.io.fromMemory({
      ...artifacts!, modelTopology: topology as unknown as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs: encoded.specs, weightData: encoded.data
    }));
    return {
      model: sparse,
      report: {layers, totals: totalsOf(layers), model: {paramsBefore: model.countParams(), paramsAfter: sparse.countParams()}}
    };
  } finally {
    tf.dispose(weights);
  }
}

function checkOptions(options: SparsifyOptions) {
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
}

/** Every layer of a topology, nested models included. */
function visitLayers(node: LayerJSON, visit: (layer: LayerJSON) => void) {
  const children = (node.config as {layers?: LayerJSON[]})?.layers;
  if (Array.isArray(children)) {
    children.forEach(child => visitLayers(child, visit));
  } else {
    visit(node);
  }
}

function findWeight(weights: Weights, layerName: string, weight: string): string|undefined {
  return Object.keys(weights).find(k => k === `${layerName}/${weight}` || k.endsWith(`/${layerName}/${weight}`));
}

function convertLayer(layer: LayerJSON, weights: Weights, options: SparsifyOptions): LayerReport|null {
  const sparseClass = SPARSE_CLASS[layer.class_name];
  if (sparseClass == null) {
    return null;
  }
  const className = layer.class_name;
  const name = layer.config.name as string;
  const kernelKey = findWeight(weights, name, 'kernel');
  const biasKey = findWeight(weights, name, 'bias');
  const kernel = kernelKey == null ? undefined : weights[kernelKey];
  const biasParams = biasKey == null ? 0 : weights[biasKey].size;
  const kernelShape = kernel?.shape ?? [];
  const dense = (reason: string): LayerReport => ({
    name, className, kernelShape, converted: false, reason,
    paramsBefore: (kernel?.size ?? 0) + biasParams, paramsAfter: (kernel?.size ?? 0) + biasParams,
    bytesBefore: 4 * ((kernel?.size ?? 0) + biasParams), bytesAfter: 4 * ((kernel?.size ?? 0) + biasParams)
  });
  if (options.include != null && !options.include.test(name)) {
    return dense('not matched by include');
  }
  if (options.exclude != null && options.exclude.test(name)) {
    return dense('matched by exclude');
  }
  if (kernel == null) {
    return dense('no kernel weight found');
  }
  if (layer.config.data_format != null && layer.config.data_format !== 'channels_last') {
    return dense(`data format ${layer.config.data_format} (only channels_last is supported)`);
  }
  const [inputSize, outputSize] = kernelShape.slice(-2);
  const bs = options.blockSize;
  if (inputSize % bs !== 0 || outputSize % bs !== 0) {
    return dense(`block size ${bs} does not divide the kernel's ${inputSize} x ${outputSize}`);
  }
  const layout = chooseLayout(kernel, inputSize, outputSize, options);
  const packed = sparsify(kernel, layout);
  const normKept = Math.sqrt(tf.tidy(() => tf.sum(tf.square(packed)).dataSync()[0] / tf.sum(tf.square(kernel)).dataSync()[0]));
  kernel.dispose();
  weights[kernelKey!] = packed;
  layer.class_name = sparseClass;
  Object.assign(layer.config, {
    block_size: bs, density: layout.density, layout_kind: options.layout ?? 'magnitude', seed: options.seed ?? 0,
    layout: {block_size: bs, row_blocks: layout.rowBlocks, col_blocks: layout.colBlocks, blocks: layout.toJSON().blocks}
  });
  const paramsAfter = packed.size + biasParams;
  return {
    name, className, kernelShape, converted: true,
    blocksKept: layout.nnz, blocksTotal: layout.rowBlocks * layout.colBlocks, density: layout.density,
    normKept: Number.isFinite(normKept) ? normKept : 1,
    paramsBefore: kernelShape.reduce((a, b) => a * b, 1) + biasParams, paramsAfter,
    bytesBefore: 4 * (kernelShape.reduce((a, b) => a * b, 1) + biasParams), bytesAfter: 4 * paramsAfter
  };
}

function chooseLayout(kernel: tf.Tensor, inputSize: number, outputSize: number, options: SparsifyOptions): BlockLayout {
  const spec = {inputSize, outputSize, blockSize: options.blockSize, density: options.density, seed: options.seed ?? 0};
  switch (options.layout ?? 'magnitude') {
    case 'random':
      return randomLayout(spec);
    case 'smallWorld':
      return smallWorldLayout(spec);
    default:
      return magnitudeLayout(kernel, options.blockSize, options.density);
  }
}

function totalsOf(layers: LayerReport[]): SparsifyReport['totals'] {
  const sum = (key: 'paramsBefore'|'paramsAfter'|'bytesBefore'|'bytesAfter') => layers.reduce((n, l) => n + l[key], 0);
  return {
    converted: layers.filter(l => l.converted).length,
    paramsBefore: sum('paramsBefore'), paramsAfter: sum('paramsAfter'),
    bytesBefore: sum('bytesBefore'), bytesAfter: sum('bytesAfter')
  };
}
