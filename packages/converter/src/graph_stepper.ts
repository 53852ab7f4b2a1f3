import * as tf from '@tensorflow/tfjs';

import type {NodeDef} from './sparsify_graph';

/** A tensor's name as 'node:index' ('node' alone is output 0). */
function tensorName(input: string): string {
  return input.includes(':') ? input : `${input}:0`;
}

function nodeOf(tensor: string): string {
  return tensor.replace(/^\^/, '').split(':')[0];
}

/** Values kept on the JavaScript side between steps: the wasm backend's memory stays free for the model. */
interface Stored {
  values: tf.TypedArray;
  shape: number[];
  dtype: tf.DataType;
}

/**
 * Runs a graph model forward one converted node at a time, over every
 * calibration batch, without starting from the input again: after each step
 * it keeps, per batch, the tensors computed so far that later nodes still read
 * (the frontier), and the next step feeds those to the graph executor in place
 * of recomputing them. Each step thus costs the graph between two converted
 * nodes, and the whole calibration about one forward pass per stream.
 */
export class GraphStepper {
  private readonly position = new Map<string, number>();
  /** For each tensor, the positions of the nodes that read it. */
  private readonly readers = new Map<string, number[]>();
  private readonly skipped = new Set<string>();
  /** Per batch: the frontier tensors by name. */
  private readonly stored: Array<Map<string, Stored>> = [];
  private reached = -1;

  constructor(private readonly model: tf.GraphModel, nodes: NodeDef[], private readonly inputName: string,
              private readonly fed: () => tf.NamedTensorMap) {
    topologicalOrder(nodes).forEach((node, i) => this.position.set(node.name, i));
    for (const node of nodes) {
      if (node.op === 'Const' || node.op === 'Placeholder') {
        this.skipped.add(node.name);
      }
      for (const input of (node.input ?? []).filter(i => !i.startsWith('^'))) {
        const readers = this.readers.get(tensorName(input)) ?? [];
        readers.push(this.position.get(node.name)!);
        this.readers.set(tensorName(input), readers);
      }
    }
  }

  /** Position in the order steps follow (topological): converted nodes are calibrated in this order. */
  positionOf(node: string): number {
    return this.position.get(node) ?? -1;
  }

  /**
   * Advances every batch to `x` (a node's data input) and returns, per batch,
   * a function giving x's value. Batches are identified by their index; each
   * step must go no earlier than the last.
   */
  async step(x: string, batches: tf.Tensor[]): Promise<Array<() => tf.Tensor>> {
    const target = tensorName(x);
    const reached = this.position.get(nodeOf(target));
    if (reached == null || reached < this.reached) {
      throw new Error(`calibrate: ${x} is not after the graph's last calibrated node`);
    }
    const frontier = [...this.readers.entries()]
                         .filter(([name, readers]) => !this.skipped.has(nodeOf(name)) && this.position.get(nodeOf(name))! <= reached &&
                                                      readers.some(p => p > reached))
                         .map(([name]) => name);
    const keep = new Set(frontier);
    for (let b = 0; b < batches.length; b++) {
      const stored = this.stored[b] ?? new Map<string, Stored>();
      this.stored[b] = stored;
      const wanted = frontier.filter(name => !stored.has(name));
      if (wanted.length > 0) {
        const feed: tf.NamedTensorMap = {[this.inputName]: batches[b], ...this.fed()};
        const uploaded: tf.Tensor[] = [];
        for (const [name, value] of stored) {
          if (this.readers.get(name)!.some(p => p > this.reached && p <= reached)) {
            uploaded.push(feed[name] = tf.tensor(value.values, value.shape, value.dtype));
          }
        }
        const outputs = executeGraph(this.model, feed, wanted);
        for (let i = 0; i < wanted.length; i++) {
          stored.set(wanted[i], {values: await outputs[i].data(), shape: outputs[i].shape, dtype: outputs[i].dtype});
        }
        tf.dispose([...outputs, ...uploaded]);
      }
      [...stored.keys()].filter(name => !keep.has(name)).forEach(name => stored.delete(name));
    }
    this.reached = reached;
    if (this.skipped.has(nodeOf(target))) {
      return batches.map(batch => () => batch.clone());
    }
    return this.stored.map(stored => () => {
      const value = stored.get(target)!;
      return tf.tensor(value.values, value.shape, value.dtype);
    });
  }

  /** A copy that steps on its own from where this one is (the same frontier values, shared until replaced). */
  fork(fed: () => tf.NamedTensorMap): GraphStepper {
    const copy = Object.create(GraphStepper.prototype) as GraphStepper;
    Object.assign(copy, this, {fed, stored: this.stored.map(stored => new Map(stored))});
    return copy;
  }
}

/** model.execute; a graph with control flow or dynamic shapes (which execute refuses) gets a clear message. */
function executeGraph(model: tf.GraphModel, feed: tf.NamedTensorMap, outputs: string[]): tf.Tensor[] {
  try {
    // GraphModel.execute gives one tensor, not an array, for one output.
    const result = model.execute(feed, outputs);
    return Array.isArray(result) ? result : [result];
  } catch (e) {
    if (/executeAsync/.test((e as Error).message)) {
      throw new Error(`calibrate: the graph has control flow or dynamic shapes, which calibration cannot run (${(e as Error).message})`);
    }
    throw e;
  }
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
  while (ready.length > 0) {
    const name = ready.shift()!;
    order.push(byName.get(name)!);
    for (const reader of readers.get(name) ?? []) {
      const inputs = waiting.get(reader)!;
      inputs.delete(name);
      if (inputs.size === 0) {
        ready.push(reader);
      }
    }
  }
  // Nodes in a cycle (a while loop's NextIteration) come last, in their given order.
  const placed = new Set(order.map(n => n.name));
  return [...order, ...nodes.filter(n => !placed.has(n.name))];
}
