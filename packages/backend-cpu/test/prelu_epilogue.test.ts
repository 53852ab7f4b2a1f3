// tfjs registers the cpu backend and tf.prelu, the reference.
import '@tensorflow/tfjs';
import '@tfjs-blocksparse/backend-cpu';

import * as tf from '@tensorflow/tfjs-core';
import {blockSparseConv2d, blockSparseMatMul, randomLayout} from '@tfjs-blocksparse/core';

const layout = randomLayout({inputSize: 16, outputSize: 24, blockSize: 8, density: 0.5, seed: 7});
const seeded = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('prelu fused into the products', () => {
  test('one slope for every column equals that slope repeated per column', () => {
    tf.tidy(() => {
      const x = seeded([5, 16], 1);
      const w = seeded([layout.nnz, 8, 8], 2);
      const one = blockSparseMatMul(x, w, layout, {activation: 'prelu', preluActivationWeights: tf.scalar(-0.3)});
      const each = blockSparseMatMul(x, w, layout, {activation: 'prelu', preluActivationWeights: tf.fill([24], -0.3)});
      expect(tf.max(tf.abs(tf.sub(one, each))).dataSync()[0]).toBe(0);
      const reference = tf.prelu(blockSparseMatMul(x, w, layout), tf.scalar(-0.3));
      expect(tf.max(tf.abs(tf.sub(one, reference))).dataSync()[0]).toBeLessThan(1e-6);
    });
  });

  test('a call no gradient is taken of runs the product kernel alone (slopes [1, 1, C] not reshaped)', async () => {
    const x = seeded([1, 4, 4, 16], 3) as tf.Tensor4D;
    const w = seeded([layout.nnz, 3, 3, 8, 8], 4);
    const slopes = seeded([1, 1, 24], 5);
    const bias = seeded([24], 6);
    const profile =
        await tf.profile(() => blockSparseConv2d(x, w, layout, 1, 'same', 1, {bias, activation: 'prelu', preluActivationWeights: slopes}));
    expect(profile.kernelNames).toEqual(['BlockSparseConv2D']);
    const y = blockSparseConv2d(x, w, layout, 1, 'same', 1, {bias, activation: 'prelu', preluActivationWeights: slopes});
    const reference = tf.prelu(blockSparseConv2d(x, w, layout, 1, 'same', 1, {bias}), slopes);
    expect(tf.max(tf.abs(tf.sub(y, reference))).dataSync()[0]).toBeLessThan(1e-6);
    tf.dispose([x, w, slopes, bias, y, reference]);
  });

  test('slopes [1, 1, C] of a matmul get the gradient that slopes [C] do, in their own shape', () => {
    tf.tidy(() => {
      const x = seeded([3, 16], 10);
      const w = seeded([layout.nnz, 8, 8], 11);
      const r = seeded([3, 24], 12);
      const slopes = seeded([24], 13);
      const gradOf = (p: tf.Tensor) => tf.grads(
          (a: tf.Tensor, q: tf.Tensor) =>
              tf.sum(tf.mul(blockSparseMatMul(a, w, layout, {activation: 'prelu', preluActivationWeights: q}), r)))([x, p]);
      const [dx, dSlopes] = gradOf(slopes);
      const [dx3, dSlopes3] = gradOf(tf.reshape(slopes, [1, 1, 24]));
      expect(dSlopes3.shape).toEqual([1, 1, 24]);
      expect(tf.max(tf.abs(tf.sub(dx3, dx))).dataSync()[0]).toBe(0);
      expect(tf.max(tf.abs(tf.sub(tf.reshape(dSlopes3, [24]), dSlopes))).dataSync()[0]).toBe(0);
    });
  });

  test('a gradient through a prelu product leaves no tensor behind', () => {
    const x = seeded([3, 16], 7);
    const w = seeded([layout.nnz, 8, 8], 8);
    const slopes = seeded([24], 9);
    const before = tf.memory().numTensors;
    const grads =
        tf.grads((a: tf.Tensor, p: tf.Tensor) => tf.sum(blockSparseMatMul(a, w, layout, {activation: 'prelu', preluActivationWeights: p})))(
            [x, slopes]);
    expect(grads.map(g => g.shape)).toEqual([[3, 16], [24]]);
    tf.dispose(grads);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, slopes]);
  });
});
