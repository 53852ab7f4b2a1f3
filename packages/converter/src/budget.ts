import * as tf from '@tensorflow/tfjs';

import {allocateBudget, SensitivityProbe} from './calibrate';
import {SparsifyOptions, SparsifyReport} from './sparsify_weight';

type Convert<M> = (options: SparsifyOptions, probe?: SensitivityProbe) => Promise<{model: M, report: SparsifyReport}>;

/**
 * A conversion under options.budget: a first pass measures each calibrated
 * layer's output error against density on the original inputs (nothing is
 * fit), the budget is allocated from those errors, and a second pass
 * calibrates every layer at its density. Without a budget, one conversion.
 */
export async function withBudget<M extends tf.LayersModel|tf.GraphModel>(
    options: SparsifyOptions, convert: Convert<M>): Promise<{model: M, report: SparsifyReport}> {
  if (options.budget == null) {
    return convert(options);
  }
  const probe = new SensitivityProbe();
  const {model: probed} = await convert({...options, density: 1, densities: undefined, budget: undefined}, probe);
  probed.dispose();
  const densities = Object.fromEntries(allocateBudget(probe.layers, options.budget));
  return convert({...options, density: 1, densities, budget: undefined});
}
