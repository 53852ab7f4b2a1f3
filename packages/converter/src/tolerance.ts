import * as tf from '@tensorflow/tfjs';

import {Convert, withBudget} from './budget';
import {SensitivityProbe} from './calibrate';
import {outputError, outputsInBatches} from './fidelity';
import {SparsifyOptions, SparsifyReport} from './sparsify_weight';

/**
 * A conversion under options.tolerance, as accuracy-aware tuning falls back
 * to full precision: the model is converted as asked (a density, densities or
 * a budget); where its output error on the calibration inputs is above the
 * tolerance, converted layers are kept dense in the order of their calibrated
 * error (each layer's own, on the original's inputs, at its density) per
 * multiply-add given back, and a bisection over that order finds the fewest
 * that bring the error within it (the error need not fall with every layer
 * kept dense: the bisection assumes it does). Without a tolerance, the
 * conversion asked for.
 */
export async function withTolerance<M extends tf.LayersModel|tf.GraphModel>(
    original: M, options: SparsifyOptions, convert: Convert<M>): Promise<{model: M, report: SparsifyReport}> {
  const {tolerance} = options;
  if (tolerance == null) {
    return withBudget(original, options, convert);
  }
  const {inputs, batchSize = 16} = options.calibrate!;
  const expected = outputsInBatches(original, inputs, batchSize);
  const tried: Array<{keptDense: number, outputError: number}> = [];
  // Every model converted here; all but the one returned are disposed, all of them when something throws.
  const held = new Set<M>();
  const attempt = async (keepDense: string[]) => {
    const result =
        await withBudget(original, {...options, tolerance: undefined, keepDense: [...options.keepDense ?? [], ...keepDense]}, convert);
    held.add(result.model);
    const actual = outputsInBatches(result.model, inputs, batchSize);
    const error = outputError(actual, expected);
    tf.dispose(actual);
    tried.push({keptDense: keepDense.length, outputError: error});
    return {...result, error, keepDense};
  };
  try {
    const first = await attempt([]);
    let kept = first;
    if (first.error > tolerance) {
      const order = await fallbackOrder(first.report, options, convert);
      // Layers kept dense: the tolerance is missed with `fails`, and assumed met with all of them.
      let [fails, passes] = [0, order.length];
      let passing: typeof first|undefined;
      while (passes - fails > 1) {
        const middle = Math.floor((fails + passes) / 2);
        const next = await attempt(order.slice(0, middle));
        if (next.error <= tolerance) {
          [passing, passes] = [next, middle];
        } else {
          fails = middle;
        }
      }
      kept = passing ?? (order.length > 0 ? await attempt(order) : first);
    }
    held.delete(kept.model);
    kept.report.tolerance = {tolerance, outputError: {converted: first.error, kept: kept.error}, keptDense: kept.keepDense, tried};
    return {model: kept.model, report: kept.report};
  } finally {
    held.forEach(model => model.dispose());
    tf.dispose(expected);
  }
}

/**
 * The converted layers of a report, those to keep dense first: the most squared calibrated error (the layer's own,
 * measured on the original model's inputs at the density it was converted at) per multiply-add keeping it dense gives back.
 */
async function fallbackOrder<M extends tf.LayersModel|tf.GraphModel>(
    report: SparsifyReport, options: SparsifyOptions, convert: Convert<M>): Promise<string[]> {
  // Layers converted at density 1 multiply as much as dense ones: keeping them dense gives nothing back.
  const densities = Object.fromEntries(report.layers.filter(l => l.converted && l.density! < 1).map(l => [l.name, l.density!]));
  const probe = new SensitivityProbe(true);
  const {model} = await convert({...options, tolerance: undefined, budget: undefined, densities}, probe);
  model.dispose();
  const rate = (name: string) => {
    const layer = probe.layers.find(l => l.name === name)!;
    const density = densities[name];
    const error = layer.errors.get(density) ?? Math.max(...layer.errors.values());
    return error ** 2 / (layer.multiplyAdds * (1 - density));
  };
  return Object.keys(densities).filter(name => probe.layers.some(l => l.name === name)).sort((a, b) => rate(b) - rate(a));
}
