import * as tf from '@tensorflow/tfjs-core';
import {blockSparseConv2d, blockSparseMatMul, randomLayout} from '@tfjs-blocksparse/core';

import {seededValues} from './random';
import {scoped} from './scoped';

/**
 * Largest relative gap between tf.grads of a scalar function and central
 * differences at `samples` coordinates of each input. The losses below are
 * linear in each input, so a step of 0.5 is exact up to float rounding.
 */
async function gradientGap(f: (inputs: tf.Tensor[]) => tf.Scalar, inputs: tf.Tensor[], samples: number): Promise<number> {
  const h = 0.5;
  const analytic = tf.grads((...args: tf.Tensor[]) => f(args))(inputs);
  let gap = 0;
  for (let which = 0; which < inputs.length; which++) {
    const input = inputs[which];
    const base = await input.data();
    const grad = await analytic[which].data();
    const scale = Math.max(1e-3, ...Array.from(grad, Math.abs));
    for (let s = 0; s < samples; s++) {
      const i = Math.floor((s + 0.5) * base.length / samples);
      const at = (delta: number) => scoped(async () => {
        const moved = Float32Array.from(base);
        moved[i] += delta;
        const args = inputs.slice();
        args[which] = tf.tensor(moved, input.shape);
        return (await f(args).data())[0];
      });
      const numeric = (await at(h) - await at(-h)) / (2 * h);
      gap = Math.max(gap, Math.abs(numeric - grad[i]) / scale);
    }
  }
  tf.dispose(analytic);
  return gap;
}

/** Finite-difference gaps of dx and dW, for a small matmul and a small strided conv. */
export function finiteDifferenceGaps(samples = 12): Promise<{matMul: number, conv2d: number}> {
  return scoped(async () => {
    const layout = randomLayout({inputSize: 16, outputSize: 24, blockSize: 8, density: 0.5, seed: 7});
    const x = tf.tensor(seededValues(3 * 16, 11), [3, 16]);
    const w = tf.tensor(seededValues(layout.nnz * 64, 12), [layout.nnz, 8, 8]);
    const r = tf.tensor(seededValues(3 * 24, 13), [3, 24]);
    const matMul = await gradientGap(([a, b]) => tf.sum(tf.mul(blockSparseMatMul(a, b, layout), r)), [x, w], samples);

    const convLayout = randomLayout({inputSize: 8, outputSize: 8, blockSize: 4, density: 0.5, seed: 8});
    const xc = tf.tensor(seededValues(2 * 5 * 6 * 8, 14), [2, 5, 6, 8]);
    const wc = tf.tensor(seededValues(convLayout.nnz * 9 * 16, 15), [convLayout.nnz, 3, 3, 4, 4]);
    const rc = tf.tensor(seededValues(2 * 3 * 3 * 8, 16), [2, 3, 3, 8]);
    const conv2d =
        await gradientGap(([a, b]) => tf.sum(tf.mul(blockSparseConv2d(a as tf.Tensor4D, b, convLayout, 2, 'same'), rc)), [xc, wc], samples);
    return {matMul, conv2d};
  });
}
