import * as tf from '@tensorflow/tfjs';
import {seededRandom} from '@tfjs-blocksparse/core';

import {Convert, withBudget} from './budget';
import {heldOutSplit, outputError, outputsInBatches} from './fidelity';
import {convertedDensities, SparsifyOptions, SparsifyReport} from './sparsify_weight';

/**
 * A conversion under options.tolerance, as accuracy-aware tuning falls back
 * to full precision: the model is converted as asked (a density, densities or
 * a budget) on four fifths of the calibration inputs; where its output error
 * on the other fifth (a seeded random one, which the calibration does not fit:
 * on the inputs it fits, a layer refit from few rows looks far closer than it
 * is) is above the tolerance, the converted layers are ranked by the error
 * each causes alone, and the first of them kept dense, as few as a bisection
 * over their number finds to bring the error within it (it assumes the error
 * falls as more are kept dense). Without a tolerance, the conversion asked for.
 */
export async function withTolerance<M extends tf.LayersModel|tf.GraphModel>(
    original: M, options: SparsifyOptions, convert: Convert<M>): Promise<{model: M, report: SparsifyReport}> {
  const {tolerance} = options;
  if (tolerance == null) {
    return withBudget(original, options, convert);
  }
  const {inputs: all, batchSize = 16} = options.calibrate!;
  const n = all.shape[0];
  if (n < 2) {
    throw new Error(`sparsifyModel: a tolerance needs at least 2 calibration inputs (a fifth is held out to measure on); got ${n}`);
  }
  const split = heldOutSplit(n, 1 / 5, seededRandom(options.seed ?? 0));
  const heldOutCount = split[0].length;
  const [heldOut, fitInputs] = split.map(rows => tf.gather(all, rows));
  const expected = outputsInBatches(original, heldOut, batchSize);
  const tried: Array<{keptDense: number, outputError: number}> = [];
  // Every model converted here; all but the one returned are disposed, all of them when something throws.
  const models = new Set<M>();
  // ranking: at the densities first converted at (a budget is not allocated again), and no layer that stays dense
  // refit, so that each converted layer's own effect is what is measured (and fast).
  // `stage` prefixes the layer names onProgress reports: which of the many conversions is running.
  const attempt = async (keepDense: string[], stage: string, ranking?: {densities: Record<string, number>}) => {
    const onProgress = options.onProgress;
    const result = await withBudget(
        original, {
          ...options,
          ...(onProgress != null &&
              {onProgress: (done: number, total: number, name: string) => onProgress(done, total, `${stage}: ${name}`)}),
          tolerance: undefined,
          keepDense: [...options.keepDense ?? [], ...keepDense],
          calibrate: {...options.calibrate!, inputs: fitInputs, ...(ranking && {refitDense: false})},
          ...(ranking && {budget: undefined, densities: ranking.densities})
        },
        convert);
    models.add(result.model);
    const actual = outputsInBatches(result.model, heldOut, batchSize);
    const error = outputError(actual, expected);
    tf.dispose(actual);
    if (ranking == null) {
      tried.push({keptDense: keepDense.length, outputError: error});
    }
    return {...result, error, keepDense};
  };
  try {
    const first = await attempt([], 'converting');
    let kept = first;
    if (first.error > tolerance) {
      const order = await fallbackOrder(first.report, async (keepDense, densities, stage) => {
        const {model, error} = await attempt(keepDense, stage, {densities});
        models.delete(model);
        model.dispose();
        return error;
      });
      // Layers kept dense: the tolerance is missed with `fails`, and assumed met with all of them.
      let [fails, passes] = [0, order.length];
      let passing: typeof first|undefined;
      while (passes - fails > 1) {
        const middle = Math.floor((fails + passes) / 2);
        const next = await attempt(order.slice(0, middle), `${middle} dense`);
        if (next.error <= tolerance) {
          [passing, passes] = [next, middle];
        } else {
          fails = middle;
        }
      }
      kept = passing ?? (order.length > 0 ? await attempt(order, `${order.length} dense`) : first);
    }
    models.delete(kept.model);
    // The layers kept dense count, dense, in the multiply-adds: the share kept is the whole model's calibrated layers'.
    const keptDenseMultiplyAdds =
        kept.keepDense.reduce((sum, name) => sum + (first.report.layers.find(l => l.name === name)?.multiplyAdds ?? 0), 0);
    const {before, after} = kept.report.totals.multiplyAdds ?? {before: 0, after: 0};
    kept.report.totals.multiplyAdds = {before: before + keptDenseMultiplyAdds, after: after + keptDenseMultiplyAdds};
    kept.report.tolerance =
        {tolerance, heldOutInputs: heldOutCount, outputError: {converted: first.error, kept: kept.error}, keptDense: kept.keepDense, tried};
    return {model: kept.model, report: kept.report};
  } finally {
    models.forEach(model => model.dispose());
    tf.dispose([heldOut, fitInputs, ...expected]);
  }
}

/**
 * The layers a report converted below density 1 (at 1 they multiply as much as dense ones), those to keep dense
 * first: the model's output error on the held-out calibration inputs with that layer alone converted (calibrated, the
 * layers after it as they were), largest first. A layer's own output error does not say this: a small error
 * early in a network can grow through every layer after it.
 */
async function fallbackOrder(
    report: SparsifyReport,
    errorWith: (keepDense: string[], densities: Record<string, number>, stage: string) => Promise<number>): Promise<string[]> {
  const densities = convertedDensities(report);
  const names = report.layers.filter(l => l.converted && l.density! < 1).map(l => l.name);
  const alone = new Map<string, number>();
  for (const [i, name] of names.entries()) {
    alone.set(name, await errorWith(names.filter(n => n !== name), densities, `ranking ${i + 1}/${names.length}`));
  }
  return names.sort((a, b) => alone.get(b)! - alone.get(a)!);
}
