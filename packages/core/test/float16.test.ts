import * as tf from '@tensorflow/tfjs';
import {BlockLayout, fromFloat16Blocks, randomLayout, seededRandom, toFloat16Blocks} from '@tfjs-blocksparse/core';

/** Every 16-bit pattern once: a full 16 x 16 grid of 16 x 16 blocks holds 65536 values. */
const everyPattern = randomLayout({inputSize: 256, outputSize: 256, blockSize: 16, density: 1, seed: 1});

function halvesOf(w: tf.Tensor): Uint16Array {
  const words = w.dataSync() as Int32Array;
  return new Uint16Array(words.buffer, words.byteOffset, words.length * 2);
}

function blocksOf(values: Float32Array, layout: BlockLayout): tf.Tensor {
  return tf.tensor(values, [layout.nnz, layout.blockSize, layout.blockSize]);
}

describe('float16 blocks', () => {
  test('every finite float16 comes back as itself, and decodes to its IEEE value', () => {
    const patterns = new Uint16Array(65536).map((_, h) => ((h >> 10) & 0x1f) === 31 ? 0 : h);
    const decoded = fromFloat16Blocks(tf.tensor(new Int32Array(patterns.buffer), [256, 16, 8], 'int32'), everyPattern);
    const values = decoded.dataSync() as Float32Array;
    expect(values[0x3c00]).toBe(1);
    expect(values[0xc000]).toBe(-2);
    expect(values[0x7bff]).toBe(65504);
    expect(values[0x0001]).toBe(2 ** -24);
    expect(values[0x8400]).toBe(-(2 ** -14));
    expect(Object.is(values[0x8000], -0)).toBe(true);
    expect(Array.from(halvesOf(toFloat16Blocks(decoded, everyPattern)))).toEqual(Array.from(patterns));
  });

  test('rounds to the nearest float16, ties to even, across normal and subnormal magnitudes', () => {
    const layout = randomLayout({inputSize: 64, outputSize: 64, blockSize: 8, density: 1, seed: 2});
    const random = seededRandom(3);
    const values = Float32Array.from({length: 64 * 64}, () => (random() - 0.5) * 2 ** Math.floor(random() * 40 - 26));
    // Ties: halfway between 1 and its neighbour up goes down to the even 1, halfway above that neighbour goes up.
    values.set([1 + 2 ** -11, 1 + 3 * 2 ** -11, 2 ** -25, 3 * 2 ** -25, 65519, -65519]);
    const back = fromFloat16Blocks(toFloat16Blocks(blocksOf(values, layout), layout), layout).dataSync();
    expect(Array.from(back.slice(0, 6))).toEqual([1, 1 + 2 ** -9, 0, 2 ** -23, 65504, -65504]);
    for (let i = 6; i < values.length; i++) {
      const v = values[i];
      // Normal float16s are within half a step (2^-11 relative) of v; subnormal ones within half of 2^-24.
      expect(Math.abs(back[i] - v)).toBeLessThanOrEqual(Math.max(Math.abs(v) * 2 ** -11, 2 ** -25));
    }
  });

  test('holds half the bytes: int32 [nnz, ...spatial, bs, bs / 2]', () => {
    const layout = randomLayout({inputSize: 32, outputSize: 48, blockSize: 8, density: 0.5, seed: 4});
    const conv = tf.randomNormal([layout.nnz, 3, 3, 8, 8], 0, 1, 'float32', 5);
    const half = toFloat16Blocks(conv, layout);
    expect(half.dtype).toBe('int32');
    expect(half.shape).toEqual([layout.nnz, 3, 3, 8, 4]);
    expect(fromFloat16Blocks(half, layout).shape).toEqual(conv.shape);
  });

  test('values beyond float16, odd block sizes and wrong shapes get clear errors', () => {
    const layout = randomLayout({inputSize: 16, outputSize: 16, blockSize: 8, density: 1, seed: 6});
    const big = new Float32Array(256).fill(1);
    big[7] = 65520;
    expect(() => toFloat16Blocks(blocksOf(big, layout), layout)).toThrow('toFloat16Blocks: 65520 does not fit a float16');
    big[7] = NaN;
    expect(() => toFloat16Blocks(blocksOf(big, layout), layout)).toThrow('toFloat16Blocks: NaN does not fit a float16');
    const odd = randomLayout({inputSize: 15, outputSize: 15, blockSize: 5, density: 1, seed: 7});
    expect(() => toFloat16Blocks(tf.zeros([odd.nnz, 5, 5]), odd)).toThrow('the block size must be even, got 5');
    expect(() => fromFloat16Blocks(tf.zeros([layout.nnz, 4, 4], 'int32'), layout))
        .toThrow(`float16 blocks w must be int32 [nnz=${layout.nnz}, 8, 4]`);
  });
});
