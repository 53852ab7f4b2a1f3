import '@tfjs-blocksparse/backend-cpu';

import * as tf from '@tensorflow/tfjs';
import {blockSparseConv2d, densify, randomLayout} from '@tfjs-blocksparse/core';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The kernels an op call runs. */
async function kernelsOf(f: () => tf.Tensor): Promise<string[]> {
  const profile = await tf.profile(() => f());
  return profile.kernelNames;
}

describe('blockSparseConv2d', () => {
  const layout = randomLayout({inputSize: 16, outputSize: 24, blockSize: 8, density: 0.5, seed: 1});
  const input = () => tf.randomNormal([2, 5, 6, 16], 0, 1, 'float32', 1) as tf.Tensor4D;

  test.each(['same', 'valid', 0] as const)(
      'a 1x1 filter at stride 1 (pad %j) runs as the matmul kernel over pixels, equal to tf.conv2d', async pad => {
        const [x, w] = [input(), tf.randomNormal([layout.nnz, 1, 1, 8, 8], 0, 1, 'float32', 2)];
        const kernels = await kernelsOf(() => blockSparseConv2d(x, w, layout, 1, pad));
        expect(kernels).toContain('BlockSparseMatMul');
        expect(kernels).not.toContain('BlockSparseConv2D');
        const expected = tf.conv2d(x, densify(w, layout) as tf.Tensor4D, 1, pad);
        expect(tf.max(tf.abs(tf.sub(blockSparseConv2d(x, w, layout, 1, pad), expected))).dataSync()[0]).toBeLessThan(1e-5);
      });

  test.each([['stride 2', 2, 'same', [1, 1]], ['padding 1', 1, 1, [1, 1]], ['a 3x1 filter', 1, 'same', [3, 1]]] as const)(
      '%s stays on the conv kernel', async (_, strides, pad, [kh, kw]) => {
        const [x, w] = [input(), tf.randomNormal([layout.nnz, kh, kw, 8, 8], 0, 1, 'float32', 3)];
        const kernels = await kernelsOf(() => blockSparseConv2d(x, w, layout, strides, pad));
        expect(kernels).toContain('BlockSparseConv2D');
        const expected = tf.conv2d(x, densify(w, layout) as tf.Tensor4D, strides, pad);
        expect(tf.max(tf.abs(tf.sub(blockSparseConv2d(x, w, layout, strides, pad), expected))).dataSync()[0]).toBeLessThan(1e-5);
      });
});
