import * as tf from '@tensorflow/tfjs';

import {allocateBudget, SensitivityProbe} from './calibrate';
import {outputError, outputsInBatches} from './fidelity';
import {SparsifyOptions, SparsifyReport} from './sparsify_weight';

export type Convert<M> = (options: SparsifyOptions, probe?: SensitivityProbe) => Promise<{model: M, report: SparsifyReport}>;

/**
 * A conversion under options.budget: a first pass measures each calibrated
 * layer's output error against density on the original inputs (nothing is
 * fit), the budget is allocated from those errors, and a second pass
 * calibrates every layer at its density. The allocation sees each layer's
 * own error, not how it grows in the layers after it, so one density for all
 * at the budget is calibrated too, and the conversion whose outputs are
 * closer to the original's on the calibration inputs is kept (the report's
 * `budget` says which). Without a budget, one conversion.
 */
export async function withBudget<M extends tf.LayersModel|tf.GraphModel>(
    original: M, options: SparsifyOptions, convert: Convert<M>): Promise<{model: M, report: SparsifyReport}> {
  if (options.budget == null) {
    return convert(options);
  }
  const probe = new SensitivityProbe();
  const {model: probed} = await convert({...options, density: 1, densities: undefined, budget: undefined}, probe);
  probed.dispose();
  const densities = Object.fromEntries(allocateBudget(probe.layers, options.budget));
  const {inputs, batchSize = 16} = options.calibrate!;
  const expected = outputsInBatches(original, inputs, batchSize);
  try {
    const errorOf = (model: M) => {
      const actual = outputsInBatches(model, inputs, batchSize);
      const error = outputError(actual, expected);
      tf.dispose(actual);
      return error;
    };
    const perLayer = await convert({...options, density: 1, densities, budget: undefined});
    let uniform: Awaited<ReturnType<Convert<M>>>;
    try {
      uniform = await convert({...options, density: options.budget, densities: undefined, budget: undefined});
    } catch (e) {
      perLayer.model.dispose();
      throw e;
    }
    const [perLayerError, uniformError] = [perLayer, uniform].map(c => errorOf(c.model));
    const [kept, dropped] = uniformError < perLayerError ? [uniform, perLayer] : [perLayer, uniform];
    dropped.model.dispose();
    kept.report.budget = {
      budget: options.budget,
      kept: kept === uniform ? 'uniform' : 'per layer',
      outputError: {perLayer: perLayerError, uniform: uniformError}
    };
    return kept;
  } finally {
    tf.dispose(expected);
  }
}
