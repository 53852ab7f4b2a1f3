import * as tf from '@tensorflow/tfjs-core';
import {blockSparseConv2D, blockSparseDense} from '@tfjs-blocksparse/layers';

import {seededValues} from './random';
import {scopedSync} from './scoped';

/** The methods through which the GPU backends run their programs. */
const PROGRAM_RUNNERS = ['runWebGLProgram', 'runWebGPUProgram'];

/**
 * The backend programs that one call of a BlockSparseDense layer (bias,
 * ReLU) runs at batch 1 once it has been called before: one, the product
 * with its bias and ReLU fused, and nothing else (no copy of the weight, no
 * table built). null on a backend without programs (cpu, wasm).
 */
export function programsPerLayerCall(): number|null {
  return programsPerRepeatedCall(
      () => blockSparseDense({units: 640, activation: 'relu', blockSize: 32, density: 1 / 4, seed: 7}),
      () => tf.tensor(seededValues(512, 51), [1, 512]));
}

/**
 * The programs of a repeated call of a pointwise (1x1, stride 1)
 * BlockSparseConv2D layer without bias, a mobile network's most common conv:
 * one, the product over x's pixels (no image patches copied first).
 */
export function programsPerPointwiseConvCall(): number|null {
  return programsPerRepeatedCall(
      () => blockSparseConv2D({filters: 64, kernelSize: 1, useBias: false, blockSize: 16, density: 1 / 2, seed: 8}),
      () => tf.tensor(seededValues(8 * 8 * 32, 52), [1, 8, 8, 32]));
}

function programsPerRepeatedCall(
    makeLayer: () => {
      apply: (x: tf.Tensor) => unknown,
      dispose: () => unknown
    },
    input: () => tf.Tensor): number|null {
  const backend = tf.backend() as unknown as Record<string, (...args: unknown[]) => unknown>;
  const runner = PROGRAM_RUNNERS.find(name => typeof backend[name] === 'function');
  if (runner == null) {
    return null;
  }
  const layer = makeLayer();
  try {
    return scopedSync(() => {
      const x = input();
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
