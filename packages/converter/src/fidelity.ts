import * as tf from '@tensorflow/tfjs';
import {shuffleInPlace} from '@tfjs-blocksparse/core';

/** How closely a converted model follows its original (distill's report and the CLI's calibration line). */
export interface Fidelity {
  /**
   * 'top-1 agreement' (fraction of inputs where both pick the same class; higher is better) where the original
   *  outputs probabilities, else 'relative error' (|converted - original| / |original|, the mean over the model's outputs;
   *  lower is better).
   */
  metric: 'top-1 agreement'|'relative error';
  value: number;
}

/** The converted model's fidelity to the original on `inputs` (a model with several outputs: their mean relative error). */
export function fidelityOf(
    original: tf.LayersModel|tf.GraphModel, converted: tf.LayersModel|tf.GraphModel, inputs: tf.Tensor, batchSize = 16): Fidelity {
  const [expected, actual] = [original, converted].map(model => outputsInBatches(model, inputs, batchSize));
  const classifier = expected.length === 1 && areProbabilities(expected[0]);
  const value = classifier ? agreementOf(actual[0], expected[0], true) : outputError(actual, expected);
  tf.dispose([...expected, ...actual]);
  return {metric: classifier ? 'top-1 agreement' : 'relative error', value};
}

/** What outputsInBatches runs: a model, or a function of a batch with no input spec. */
interface Predictor {
  predict: (x: tf.Tensor) => unknown;
  inputs?: Array<{shape?: Array<number|null>, dtype?: tf.DataType}>;
}

/** The batch size a graph is made for (MoveNet's [1, 192, 192, 3]: 1), or undefined where its input takes any. */
export function fixedBatchSize(model: Predictor): number|undefined {
  const size = model.inputs?.[0].shape?.[0];
  return size != null && size > 0 ? size : undefined;
}

/** x as the model's input takes it: cast to the input's dtype (MoveNet: int32 pixels) where that is known and differs. */
export function asModelInput(model: Predictor, x: tf.Tensor): tf.Tensor {
  const dtype = model.inputs?.[0].dtype;
  return dtype == null || dtype === x.dtype ? x : tf.cast(x, dtype);
}

/**
 * Every output of a model on rows of x (a range [start, end), default all, or the given row indices, in their
 * order), a batch at a time (a graph made for one batch size in batches of that size, x cast to its input's
 * dtype), each output's batches concatenated; each batch's rows and intermediates are freed before the next (a
 * model's inputs can be most of the memory there is).
 */
export function outputsInBatches(model: Predictor, x: tf.Tensor, batchSize: number, rows?: [number, number]|Int32Array): tf.Tensor[] {
  const step = fixedBatchSize(model) ?? batchSize;
  const [start, end] = rows instanceof Int32Array ? [0, rows.length] : rows ?? [0, x.shape[0]];
  const parts: tf.Tensor[][] = [];
  try {
    for (let i = start; i < end; i += step) {
      parts.push(tf.tidy(() => {
        const batch =
            rows instanceof Int32Array ? tf.gather(x, rows.subarray(i, Math.min(end, i + step))) : tf.slice(x, i, Math.min(step, end - i));
        const out = model.predict(asModelInput(model, batch)) as tf.Tensor | tf.Tensor[] | tf.NamedTensorMap;
        return out instanceof tf.Tensor ? [out] : Array.isArray(out) ? out : Object.values(out);
      }));
    }
    return parts[0].map((_, k) => tf.concat(parts.map(p => p[k])));
  } finally {
    tf.dispose(parts.flat());
  }
}

/** The one output of a model on rows of x, as outputsInBatches. */
export function predictInBatches(model: Predictor, x: tf.Tensor, batchSize: number, rows?: [number, number]|Int32Array): tf.Tensor {
  const outputs = outputsInBatches(model, x, batchSize, rows);
  if (outputs.length !== 1) {
    tf.dispose(outputs);
    throw new Error('models with several outputs are not supported');
  }
  return outputs[0];
}

/** The mean over a model's outputs of |actual - expected| / |expected|. */
export function outputError(actual: tf.Tensor[], expected: tf.Tensor[]): number {
  const errors = expected.map((e, k) => agreementOf(actual[k], e, false));
  return errors.reduce((sum, e) => sum + e, 0) / errors.length;
}

/** Whether outputs look like softmax probabilities: non-negative rows summing to 1. */
export function areProbabilities(y: tf.Tensor): boolean {
  return tf.tidy(() => y.rank >= 2 && tf.min(y).dataSync()[0] >= 0 && tf.max(tf.abs(tf.sub(tf.sum(y, -1), 1))).dataSync()[0] < 1e-3);
}

export function agreementOf(student: tf.Tensor, teacher: tf.Tensor, classifier: boolean): number {
  return tf.tidy(
      () => classifier ? tf.mean(tf.cast(tf.equal(tf.argMax(student, -1), tf.argMax(teacher, -1)), 'float32')).dataSync()[0] :
                         tf.norm(tf.sub(student, teacher)).dataSync()[0] / Math.max(1e-12, tf.norm(teacher).dataSync()[0]));
}

/**
 * Rows 0..n-1 split at random into a held-out share of them (at least one) and the rest, each in shuffled order:
 * not the last rows, as inputs read from a folder come sorted by name and its last files may be all of one kind.
 */
export function heldOutSplit(n: number, share: number, random: () => number): [held: Int32Array, rest: Int32Array] {
  const count = Math.max(1, Math.round(n * share));
  const order = shuffleInPlace(Int32Array.from({length: n}, (_, i) => i), random);
  return [order.slice(0, count), order.slice(count)];
}
