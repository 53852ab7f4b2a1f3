import * as tf from '@tensorflow/tfjs';

import type {NodeDef} from './sparsify_graph';

/** Values kept on the JavaScript side between steps: the backend's memory (wasm's is 4 GiB at most) stays free. */
interface Stored {
  values: tf.TypedArray;
  shape: number[];
  dtype: tf.DataType;
}

/**
 * How a model computes named tensors: the position of each tensor's producer
 * in an order where producers come before readers, the positions of the
 * nodes that read each tensor, and a function that computes tensors from a
 * model input batch and fed tensors.
 */
export interface SteppedModel {
  position: Map<string, number>;
  readers: Map<string, number[]>;
  /** Tensors never kept: the model's input (fed from the batch) and constants. */
  given: Set<string>;
  run: (batch: tf.Tensor, feed: Map<string, tf.Tensor>, wanted: string[]) => tf.Tensor[];
}

/**
 * Runs a model forward one converted layer at a time, over every calibration
 * batch, without starting from the input again: after each step it keeps, per
 * batch, the tensors computed so far that later layers still read (the
 * frontier), and the next step feeds those in place of recomputing them. Each
 * step thus costs the part of the model between two converted layers, and the
 * whole calibration about one forward pass per stream.
 */
export class FrontierStepper {
  /** Per batch: the frontier tensors by name. */
  private stored: Array<Map<string, Stored>> = [];
  private reached = -1;

  constructor(private readonly model: SteppedModel) {}

  /** Position in the order steps follow: converted layers are calibrated in this order. */
  positionOf(tensor: string): number {
    return this.model.position.get(tensor) ?? -1;
  }

  /**
   * Advances every batch to tensor `x` (a converted layer's input) and returns, per batch, a function giving x's
   * value. Each step must go no earlier than the last.
   */
  async step(x: string, batches: tf.Tensor[]): Promise<Array<() => tf.Tensor>> {
    const {position, readers, given} = this.model;
    const reached = position.get(x);
    if (reached != null && reached < this.reached) {
      // A tensor that a later layer reads again (another branch of an Inception block): still in the frontier.
      if (given.has(x)) {
        return batches.map(batch => () => batch.clone());
      }
      if (this.stored.length === batches.length && this.stored.every(stored => stored.has(x))) {
        return this.stored.map(stored => () => {
          const value = stored.get(x)!;
          return tf.tensor(value.values, value.shape, value.dtype);
        });
      }
    }
    if (reached == null || reached < this.reached) {
      throw new Error(`calibrate: ${x} is not after the last calibrated layer`);
    }
    const frontier = new Set([...readers.entries()]
                                 .filter(([name, at]) => !given.has(name) && position.get(name)! <= reached && at.some(p => p > reached))
                                 .map(([name]) => name));
    for (let b = 0; b < batches.length; b++) {
      const stored = this.stored[b] ?? new Map<string, Stored>();
      this.stored[b] = stored;
      const wanted = [...frontier].filter(name => !stored.has(name));
      if (wanted.length > 0) {
        const feed = new Map<string, tf.Tensor>();
        for (const [name, value] of stored) {
          if (readers.get(name)!.some(p => p > this.reached && p <= reached)) {
            feed.set(name, tf.tensor(value.values, value.shape, value.dtype));
          }
        }
        const outputs = this.model.run(batches[b], feed, wanted);
        for (let i = 0; i < wanted.length; i++) {
          stored.set(wanted[i], {values: await outputs[i].data(), shape: outputs[i].shape, dtype: outputs[i].dtype});
        }
        tf.dispose([...outputs, ...feed.values()]);
      }
      [...stored.keys()].filter(name => !frontier.has(name)).forEach(name => stored.delete(name));
    }
    this.reached = reached;
    if (given.has(x)) {
      return batches.map(batch => () => batch.clone());
    }
    return this.stored.map(stored => () => {
      const value = stored.get(x)!;
      return tf.tensor(value.values, value.shape, value.dtype);
    });
  }

  /** A stepper of `model` (the same tensors, other weights) that goes on from where this one is. */
  fork(model: SteppedModel): FrontierStepper {
    const copy = new FrontierStepper(model);
    copy.stored = this.stored.map(stored => new Map(stored));
    copy.reached = this.reached;
    return copy;
  }
}

/** A tensor's name as 'node:index' ('node' alone is output 0). */
export function tensorName(input: string): string {
  return input.includes(':') ? input : `${input}:0`;
}

function nodeOf(tensor: string): string {
  return tensor.replace(/^\^/, '').split(':')[0];
}

/** A graph model, computed by its executor; `fed` replaces constants (calibrated weights). */
export function steppedGraph(model: tf.GraphModel, nodes: NodeDef[], fed: () => tf.NamedTensorMap): SteppedModel {
  const nodePosition = new Map(topologicalOrder(nodes).map((node, i) => [node.name, i]));
  const stepped: SteppedModel = {position: new Map(), readers: new Map(), given: new Set(), run: () => []};
  for (const node of nodes) {
    for (const input of (node.input ?? []).filter(i => !i.startsWith('^'))) {
      const name = tensorName(input);
      stepped.readers.set(name, [...(stepped.readers.get(name) ?? []), nodePosition.get(node.name)!]);
      stepped.position.set(name, nodePosition.get(nodeOf(name)) ?? -1);
    }
    if (node.op === 'Const' || node.op === 'Placeholder') {
      stepped.given.add(`${node.name}:0`);
    }
  }
  const input = model.inputs[0].name;
  stepped.run = (batch, feed, wanted) => {
    const feedMap: tf.NamedTensorMap = {[input]: batch, ...fed(), ...Object.fromEntries(feed)};
    try {
      // GraphModel.execute gives one tensor, not an array, for one output.
      const result = model.execute(feedMap, wanted);
      return Array.isArray(result) ? result : [result];
    } catch (e) {
      if (/executeAsync/.test((e as Error).message)) {
        throw new Error(
            `calibrate: the graph has control flow or dynamic shapes, which calibration cannot run (${(e as Error).message})`, {cause: e});
      }
      throw e;
    }
  };
  return stepped;
}

/**
 * A functional Layers model (one inbound node per layer, no nested models),
 * computed layer by layer in inference mode; undefined for any other.
 */
export function steppedLayers(model: tf.LayersModel): SteppedModel|undefined {
  // A Sequential model's layers leave out its InputLayer; a functional model's include it.
  const layers = model.layers.filter(l => l.getClassName() !== 'InputLayer');
  const inbound = new Map<string, string[]>();
  const inputs = new Set<string>();
  for (const layer of layers) {
    if (layer.inboundNodes.length !== 1 || layer instanceof tf.LayersModel) {
      return undefined;
    }
    const sources = layer.inboundNodes[0].inboundLayers;
    sources.filter(l => l.getClassName() === 'InputLayer').forEach(l => inputs.add(l.name));
    inbound.set(layer.name, sources.map(l => l.name));
  }
  if (inputs.size !== 1) {
    return undefined;
  }
  const position = new Map([...[...inputs].map(name => [name, -1] as const), ...layers.map((layer, i) => [layer.name, i] as const)]);
  const readers = new Map<string, number[]>();
  for (const layer of layers) {
    for (const source of inbound.get(layer.name)!) {
      readers.set(source, [...(readers.get(source) ?? []), position.get(layer.name)!]);
    }
  }
  return {
    position,
    readers,
    given: inputs,
    run: (batch, feed, wanted) => tf.tidy(() => {
      const values = new Map(feed);
      const valueOf = (name: string): tf.Tensor => {
        let value = inputs.has(name) ? batch : values.get(name);
        if (value == null) {
          const sources = inbound.get(name)!.map(valueOf);
          value = model.getLayer(name).apply(sources.length === 1 ? sources[0] : sources, {training: false}) as tf.Tensor;
          values.set(name, value);
        }
        return value;
      };
      return wanted.map(valueOf);
    })
  };
}

/** The nodes in an order where each comes after the nodes it reads (Kahn's algorithm, stable). */
function topologicalOrder(nodes: NodeDef[]): NodeDef[] {
  const byName = new Map(nodes.map(n => [n.name, n]));
  const waiting = new Map(nodes.map(n => [n.name, new Set((n.input ?? []).map(nodeOf).filter(i => byName.has(i)))]));
  const readers = new Map<string, string[]>();
  for (const [name, inputs] of waiting) {
    inputs.forEach(i => readers.set(i, [...(readers.get(i) ?? []), name]));
  }
  const ready = nodes.filter(n => waiting.get(n.name)!.size === 0).map(n => n.name);
  const order: NodeDef[] = [];
  for (let next = 0; next < ready.length; next++) {
    order.push(byName.get(ready[next])!);
    for (const reader of readers.get(ready[next]) ?? []) {
      const inputs = waiting.get(reader)!;
      inputs.delete(ready[next]);
      if (inputs.size === 0) {
        ready.push(reader);
      }
    }
  }
  // Nodes in a cycle (a while loop's NextIteration) come last, in their given order.
  const placed = new Set(order.map(n => n.name));
  return [...order, ...nodes.filter(n => !placed.has(n.name))];
}
