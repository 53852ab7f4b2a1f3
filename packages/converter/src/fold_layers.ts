import * as tf from '@tensorflow/tfjs';

import {artifactsOf} from './model_artifacts';

type LayerJSON = {
  class_name: string,
  config: Record<string, unknown>,
  inbound_nodes?: unknown[],
  name?: string
};
type Weights = Record<string, tf.Tensor>;
/** A reference to a layer's output in a functional model's config: [layer name, node index, tensor index(, kwargs)]. */
type TensorRef = [string, number, number, ...unknown[]];

/**
 * The layers a BatchNormalization folds into (their kernel's last axes are
 * the norm's channels), and the class each becomes: tfjs-layers adds a
 * DepthwiseConv2D's bias and activation as ops of their own, so a folded one
 * becomes the FusedDepthwiseConv2D of @tfjs-blocksparse/layers, which runs
 * them in the conv's kernel.
 */
const FOLDED_CLASS: Record<string, string> = {
  Conv2D: 'Conv2D',
  Dense: 'Dense',
  DepthwiseConv2D: 'FusedDepthwiseConv2D'
};

/** The layers whose kernels apply an activation in the product's epilogue. */
const FUSING = ['BlockSparseConv2D', 'BlockSparseDense', 'FusedDepthwiseConv2D'];

/** What a folded layer's activation becomes when the layer that activates its output joins it. */
function activationOf(layer: LayerJSON): string|null {
  const c = layer.config;
  if (layer.class_name === 'Activation') {
    return c.activation as string;
  }
  if (layer.class_name === 'ReLU' && !c.negative_slope && !c.threshold && (c.max_value == null || c.max_value === 6)) {
    return c.max_value === 6 ? 'relu6' : 'relu';
  }
  return null;
}

/**
 * The layer-by-layer view of a Sequential or functional model's config that
 * folding needs: who reads whom, and how to bypass a layer.
 */
class LayerGraph {
  private readonly layers: LayerJSON[];
  private readonly sequential: boolean;
  private readonly outputs: TensorRef[];

  constructor(topology: LayerJSON) {
    const config = topology.config as {layers?: LayerJSON[], output_layers?: TensorRef[]};
    this.layers = config.layers ?? [];
    this.sequential = topology.class_name === 'Sequential';
    this.outputs = config.output_layers ?? [];
  }

  get all(): LayerJSON[] {
    return [...this.layers];
  }

  private nameOf(layer: LayerJSON): string {
    return (layer.config.name ?? layer.name) as string;
  }

  private refsOf(layer: LayerJSON): TensorRef[] {
    return ((layer.inbound_nodes ?? []) as TensorRef[][]).flat();
  }

  /** The one layer that reads `layer`'s output, where exactly one does, once, and the output is not a model output. */
  soleReader(layer: LayerJSON): LayerJSON|null {
    const name = this.nameOf(layer);
    if (this.sequential) {
      const next = this.layers[this.layers.indexOf(layer) + 1];
      return next ?? null;
    }
    if ((layer.inbound_nodes ?? []).length !== 1 || this.outputs.some(r => r[0] === name)) {
      return null;
    }
    const readers = this.layers.filter(l => this.refsOf(l).some(r => r[0] === name));
    return readers.length === 1 && this.refsOf(readers[0]).length === 1 ? readers[0] : null;
  }

  /** The one layer that `layer` reads (its only input), or null. */
  soleInput(layer: LayerJSON): LayerJSON|null {
    if (this.sequential) {
      return this.layers[this.layers.indexOf(layer) - 1] ?? null;
    }
    const refs = this.refsOf(layer);
    return (layer.inbound_nodes ?? []).length === 1 && refs.length === 1 ? this.layers.find(l => this.nameOf(l) === refs[0][0]) ?? null :
                                                                           null;
  }

  /** Removes `layer`, its readers reading `source` instead. */
  bypass(layer: LayerJSON, source: LayerJSON) {
    const [from, to] = [this.nameOf(layer), this.nameOf(source)];
    const swap = (r: TensorRef) => {
      if (r[0] === from) {
        r[0] = to;
      }
    };
    this.layers.forEach(l => this.refsOf(l).forEach(swap));
    this.outputs.forEach(swap);
    this.layers.splice(this.layers.indexOf(layer), 1);
  }
}

/** The key of a layer's weight (`kernel`, `bias`, ...) in a decoded weight map, nested models' scopes included. */
export function findWeight(weights: Weights, layerName: string, weight: string): string|undefined {
  return Object.keys(weights).find(k => k === `${layerName}/${weight}` || k.endsWith(`/${layerName}/${weight}`));
}

/**
 * Folds one norm into its layer: kernel scaled per output channel by
 * s = gamma / sqrt(variance + epsilon), bias = (bias - mean)·s + beta.
 * Returns false (and changes nothing) where a weight is missing.
 */
function foldWeights(layer: LayerJSON, norm: LayerJSON, weights: Weights): boolean {
  const name = layer.config.name as string;
  const normName = norm.config.name as string;
  const depthwise = layer.class_name === 'DepthwiseConv2D';
  const kernelKey = findWeight(weights, name, depthwise ? 'depthwise_kernel' : 'kernel');
  const [meanKey, varianceKey] = [findWeight(weights, normName, 'moving_mean'), findWeight(weights, normName, 'moving_variance')];
  const gammaKey = norm.config.scale === false ? undefined : findWeight(weights, normName, 'gamma');
  const betaKey = norm.config.center === false ? undefined : findWeight(weights, normName, 'beta');
  if (kernelKey == null || meanKey == null || varianceKey == null || (norm.config.scale !== false && gammaKey == null) ||
      (norm.config.center !== false && betaKey == null)) {
    return false;
  }
  const kernel = weights[kernelKey];
  const biasKey = findWeight(weights, name, 'bias') ?? kernelKey.replace(/(depthwise_)?kernel$/, 'bias');
  const [folded, bias] = tf.tidy(() => {
    const epsilon = (norm.config.epsilon as number | undefined) ?? 1e-3;
    const invStd = tf.rsqrt(tf.add(weights[varianceKey], epsilon));
    const scale = gammaKey == null ? invStd : tf.mul(weights[gammaKey], invStd);
    // A depthwise kernel [kh, kw, C, multiplier] has output channel c·multiplier + m.
    const scaled = tf.mul(kernel, depthwise ? tf.reshape(scale, kernel.shape.slice(-2)) : scale);
    const oldBias = layer.config.use_bias === false ? tf.zerosLike(scale) : weights[biasKey];
    const shifted = tf.mul(tf.sub(oldBias, weights[meanKey]), scale);
    return [scaled, betaKey == null ? shifted : tf.add(shifted, weights[betaKey])];
  });
  const replaced = [
    kernelKey, meanKey, varianceKey, ...[gammaKey, betaKey].filter(k => k != null) as string[],
    ...(layer.config.use_bias === false ? [] : [biasKey])
  ];
  replaced.forEach(key => {
    weights[key].dispose();
    delete weights[key];
  });
  weights[kernelKey] = folded;
  weights[biasKey] = bias;
  layer.config.use_bias = true;
  layer.class_name = FOLDED_CLASS[layer.class_name];
  return true;
}

/** A norm over the layer's last axis (its output channels). */
function isChannelNorm(norm: LayerJSON, layer: LayerJSON): boolean {
  const axis = norm.config.axis as number | number[];
  const last = layer.class_name === 'Dense' ? [-1, 1] : [-1, 3];
  return (typeof axis === 'number' ? last.includes(axis) : axis.length === 1 && last.includes(axis[0]));
}

/**
 * A model equal to `model` (to float rounding) in which every inference
 * BatchNormalization that alone reads a Conv2D, DepthwiseConv2D or Dense
 * layer (channels last, linear activation) is folded into that layer's
 * kernel and bias.
 * Returns the model unchanged (and no names) where nothing folds; the names
 * are those of the norms folded away. Top-level layers only.
 */
export async function foldBatchNorms(model: tf.LayersModel): Promise<{model: tf.LayersModel, folded: string[]}> {
  const artifacts = await artifactsOf(model);
  const topology = JSON.parse(JSON.stringify(artifacts.modelTopology)) as LayerJSON;
  const graph = new LayerGraph(topology);
  const weights = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
  const folded: string[] = [];
  for (const norm of graph.all.filter(l => l.class_name === 'BatchNormalization')) {
    const layer = graph.soleInput(norm);
    if (layer == null || !(layer.class_name in FOLDED_CLASS) || (layer.config.activation ?? 'linear') !== 'linear' ||
        layer.config.data_format === 'channels_first' || graph.soleReader(layer) !== norm || !isChannelNorm(norm, layer) ||
        !foldWeights(layer, norm, weights)) {
      continue;
    }
    graph.bypass(norm, layer);
    folded.push(norm.config.name as string);
  }
  if (folded.length === 0) {
    tf.dispose(Object.values(weights));
    return {model, folded};
  }
  const encoded = await tf.io.encodeWeights(weights);
  tf.dispose(Object.values(weights));
  const foldedModel = await tf.loadLayersModel(tf.io.fromMemory({
    ...artifacts,
    modelTopology: topology as unknown as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: encoded.specs,
    weightData: encoded.data
  }));
  return {model: foldedModel, folded};
}

/**
 * Makes each ReLU, ReLU(max 6) or Activation layer that alone reads a
 * block-sparse layer or a FusedDepthwiseConv2D (linear activation) that layer's activation, in a
 * model's topology (edited in place): the kernels apply it in the product's
 * epilogue, one call where there were two. Returns the names of the layers
 * folded away. Top-level layers only.
 */
export function foldActivations(topology: LayerJSON): string[] {
  const graph = new LayerGraph(topology);
  const folded: string[] = [];
  for (const layer of graph.all.filter(l => FUSING.includes(l.class_name))) {
    const reader = graph.soleReader(layer);
    const activation = reader == null ? null : activationOf(reader);
    if (reader != null && activation != null && (layer.config.activation ?? 'linear') === 'linear' && graph.soleInput(reader) === layer) {
      layer.config.activation = activation;
      graph.bypass(reader, layer);
      folded.push(reader.config.name as string);
    }
  }
  return folded;
}
