import * as tf from '@tensorflow/tfjs';
import {BlockLayout, densify, magnitudeLayout, sparsify} from '@tfjs-blocksparse/core';

import {sparsifyModel} from './sparsify_model';
import {SparsifyReport} from './sparsify_weight';

export interface GradualPruningArgs {
  /** Density reached at endStep and kept after it, in (0, 1]. */
  targetDensity: number;
  blockSize: number;
  /** Training step (batch) at which pruning starts. Default 0. */
  beginStep?: number;
  /** Training step at which the target density is reached. */
  endStep: number;
  /** Prune every this many steps. Default 1. */
  frequency?: number;
  /** Exponent of the polynomial decay. Default 3, as TF Model Optimization. */
  power?: number;
  include?: RegExp;
  exclude?: RegExp;
}

/**
 * Density at a step under TF-MOT's polynomial decay: 1 before beginStep,
 * target after endStep, target + (1 - target)(1 - progress)^power between.
 */
export function scheduledDensity(step: number, args: GradualPruningArgs): number {
  const begin = args.beginStep ?? 0;
  const progress = Math.min(1, Math.max(0, (step - begin) / Math.max(1, args.endStep - begin)));
  return args.targetDensity + (1 - args.targetDensity) * Math.pow(1 - progress, args.power ?? 3);
}

/**
 * A model.fit callback that prunes the Dense and Conv2D kernels of a dense
 * model by block magnitude on a polynomial-decay schedule (every
 * `frequency` steps, choosing among the blocks kept so far), zeroing the
 * dropped blocks after every step, pruning or not (so the optimizer cannot
 * grow them back),
 * and then, through finish(), turns the model into real block-sparse layers
 * with the surviving blocks: the speed-up TF-MOT's masks never give.
 */
export class GradualBlockPruning extends tf.Callback {
  private step = 0;
  /** Each pruned layer's blocks kept at the last prune. */
  private readonly kept = new Map<tf.layers.Layer, BlockLayout>();

  constructor(readonly args: GradualPruningArgs) {
    super();
    if (!(args.targetDensity > 0 && args.targetDensity <= 1)) {
      throw new Error(`GradualBlockPruning: targetDensity must be in (0, 1], got ${args.targetDensity}`);
    }
    if (!(args.endStep > (args.beginStep ?? 0))) {
      throw new Error(`GradualBlockPruning: endStep (${args.endStep}) must come after beginStep (${args.beginStep ?? 0})`);
    }
  }

  async onBatchEnd(): Promise<void> {
    this.step++;
    const begin = this.args.beginStep ?? 0;
    if (this.step < begin) {
      return;
    }
    const pruning = this.step >= this.args.endStep || (this.step - begin) % (this.args.frequency ?? 1) === 0;
    const density = scheduledDensity(this.step, this.args);
    for (const layer of this.prunableLayers()) {
      const [kernel, ...rest] = layer.getWeights();
      // Dropped blocks were zeroed at the last step: a new choice is among the blocks kept so far.
      const layout = pruning ? magnitudeLayout(kernel, this.args.blockSize, density) : this.kept.get(layer);
      if (layout == null) {
        continue;
      }
      this.kept.set(layer, layout);
      const masked = tf.tidy(() => densify(sparsify(kernel, layout), layout));
      layer.setWeights([masked, ...rest]);
      masked.dispose();
    }
  }

  /** The pruned model as block-sparse layers at the target density, with its report. */
  finish(): Promise<{model: tf.LayersModel, report: SparsifyReport}> {
    const {targetDensity, blockSize, include, exclude} = this.args;
    return sparsifyModel(this.model as tf.LayersModel, {density: targetDensity, blockSize, include, exclude});
  }

  private prunableLayers(): tf.layers.Layer[] {
    const {blockSize, include, exclude} = this.args;
    const visit = (layers: tf.layers.Layer[]): tf.layers.Layer[] => layers.flatMap(layer => {
      if (layer instanceof tf.LayersModel) {
        return visit(layer.layers);
      }
      if (!['Dense', 'Conv2D'].includes(layer.getClassName()) || (include != null && !include.test(layer.name)) ||
          (exclude != null && exclude.test(layer.name))) {
        return [];
      }
      const shape = layer.getWeights()[0]?.shape ?? [];
      const [inputSize, outputSize] = shape.slice(-2);
      return inputSize % blockSize === 0 && outputSize % blockSize === 0 ? [layer] : [];
    });
    return visit((this.model as tf.LayersModel).layers);
  }
}
