import * as tf from '@tensorflow/tfjs-core';
import {blockSparseDense} from '@tfjs-blocksparse/layers';

import {seededValues} from './random';
import {scopedSync} from './scoped';

/** The methods through which the GPU backends run their programs. */
const PROGRAM_RUNNERS = ['runWebGLProgram', 'runWebGPUProgram'];

/**
 * The backend programs that one call of a BlockSparseDense layer (bias,
 * ReLU) runs at batch 1 once it has been called before: one, the product
 * with its bias and ReLU fused, and nothing else (no copy of the weight, no
 * table built). null on a backend without programs (cpu).
 */
export function programsPerLayerCall(): number|null {
  const backend = tf.backend() as unknown as Record<string, (...args: unknown[]) => unknown>;
  const runner = PROGRAM_RUNNERS.find(name => typeof backend[name] === 'function');
  if (runner == null) {
    return null;
  }
  const layer = blockSparseDense({units: 640, activation: 'relu', blockSize: 32, density: 1 / 4, seed: 7});
  try {
    return scopedSync(() => {
      const x = tf.tensor(seededValues(512, 51), [1, 512]);
      // The first call builds the layer and uploads (and lays out) its weights, tables and x.
      tf.dispose(layer.apply(x) as tf.Tensor);
      const run = backend[runner];
      let programs = 0;
      backend[runner] = (...args: unknown[]) => {
        programs++;
        return run.apply(backend, args);
      };
      try {
        tf.dispose(layer.apply(x) as tf.Tensor);
      } finally {
        backend[runner] = run;
      }
      return programs;
    });
  } finally {
    layer.dispose();
  }
}
