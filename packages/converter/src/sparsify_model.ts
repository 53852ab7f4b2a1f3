import * as tf from '@tensorflow/tfjs';
// The loaded model is made of these classes: they must be registered.
import '@tfjs-blocksparse/layers';

import {artifactsOf} from './model_artifacts';
import {sparsifyGraphModel} from './sparsify_graph';
import {checkOptions, denseReport, filteredOut, LayerReport, sparsifyKernel, SparsifyOptions, SparsifyReport, totalsOf} from './sparsify_weight';

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
 *
 * A GraphModel gets the same treatment for its MatMul, BatchMatMul,
 * _FusedMatMul, Conv2D and FusedConv2D nodes (see sparsifyGraphModel).
 */
export async function sparsifyModel<M extends tf.LayersModel|tf.GraphModel>(model: M, options: SparsifyOptions):
    Promise<{model: M, report: SparsifyReport}> {
  if (model instanceof tf.GraphModel) {
    return sparsifyGraphModel(model, options) as Promise<{model: M, report: SparsifyReport}>;
  }
  return sparsifyLayersModel(model as tf.LayersModel, options) as Promise<{model: M, report: SparsifyReport}>;
}

async function sparsifyLayersModel(model: tf.LayersModel, options: SparsifyOptions):
    Promise<{model: tf.LayersModel, report: SparsifyReport}> {
  checkOptions(options);
  const artifacts = await artifactsOf(model);
  const {modelTopology, weightSpecs, weightData} = artifacts;
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
      ...artifacts, modelTopology: topology as unknown as tf.io.ModelArtifacts['modelTopology'],
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
  const {packed, layout, report} = sparsifyKernel(kernel, name, className, biasParams, options);
  if (packed == null || layout == null) {
    return report;
  }
  kernel.dispose();
  weights[kernelKey!] = packed;
  layer.class_name = sparseClass;
  Object.assign(layer.config, {
    block_size: layout.blockSize, density: layout.density, layout_kind: options.layout ?? 'magnitude', seed: options.seed ?? 0,
    layout: {block_size: layout.blockSize, row_blocks: layout.rowBlocks, col_blocks: layout.colBlocks, blocks: layout.toJSON().blocks}
  });
  return report;
}

