// The broadcast product's two loop orders (see broadcastOrder): kept blocks
// that fit in L1 run row-major, larger ones by output block column. Layouts
// just under and just over the limit, at row counts with and without last
// rows % 4 (202: 50 row tiles, the last of four row-major units partly
// filled, and 2 rows), each with a bias and relu6, against the cpu backend's
// dense ops.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@tfjs-blocksparse/backend-wasm';

import * as tf from '@tensorflow/tfjs-core';
import {BlockLayout, blockSparseConv2d, blockSparseMatMul, densify} from '@tfjs-blocksparse/core';

import {broadcastOrder} from '../src/kernels/wasm_util';

const BS = 8;
// 8x8 blocks of 256 bytes: 128 fit in 32 KiB, 129 do not.
const LAYOUTS = {
  rowMajor: firstBlocks(128),
  byColumn: firstBlocks(129)
};

/** The first `nnz` blocks of a 16 x 16 grid of 8x8 blocks, row by row. */
function firstBlocks(nnz: number): BlockLayout {
  return new BlockLayout(BS, 16, 16, Array.from({length: nnz}, (_, i) => [Math.floor(i / 16), i % 16] as const));
}

async function onCpu<T>(f: () => T): Promise<T> {
  await tf.setBackend('cpu');
  try {
    return f();
  } finally {
    await tf.setBackend('wasm');
  }
}

beforeAll(async () => {
  await tf.setBackend('wasm');
});

test('the layouts take the loop order they are named for', () => {
  expect(broadcastOrder(202, 1, LAYOUTS.rowMajor, 16)).toEqual({rowTiles: 16, units: 5});
  expect(broadcastOrder(202, 1, LAYOUTS.byColumn, 16)).toEqual({rowTiles: 0, units: 17});
  expect(broadcastOrder(3, 1, LAYOUTS.rowMajor, 16)).toEqual({rowTiles: 16, units: 1});
});

/** The layout's packed weight and a bias, seeded. */
function weights(layout: BlockLayout): [tf.Tensor, tf.Tensor] {
  return [tf.randomNormal([layout.nnz, BS, BS], 0, 1, 'float32', 1), tf.randomNormal([layout.outputSize], 0, 1, 'float32', 2)];
}

describe.each(Object.entries(LAYOUTS))('%s', (_, layout) => {
  test.each([1, 3, 4, 64, 65, 202])('matmul of %i rows equals relu6(x·W + bias)', async rows => {
    const [w, bias] = weights(layout);
    const x = tf.randomNormal([rows, layout.inputSize], 0, 1, 'float32', 3);
    const y = await blockSparseMatMul(x, w, layout, {bias, activation: 'relu6'}).data();
    const expected = await onCpu(() => tf.clipByValue(tf.add(tf.matMul(x, densify(w, layout)), bias), 0, 6).dataSync());
    expect(Math.max(...Array.from(y, (v, i) => Math.abs(v - expected[i])))).toBeLessThan(1e-4);
  });

  test('a 1x1 conv over 9x11 pixels equals relu6(conv(x, W) + bias)', async () => {
    const [w, bias] = weights(layout);
    const x = tf.randomNormal([1, 9, 11, layout.inputSize], 0, 1, 'float32', 4);
    const filter = tf.reshape(w, [layout.nnz, 1, 1, BS, BS]);
    const y = await blockSparseConv2d(x as tf.Tensor4D, filter, layout, [1, 1], 'valid', [1, 1], {bias, activation: 'relu6'}).data();
    const expected = await onCpu(
        () =>
            tf.clipByValue(tf.add(tf.conv2d(x as tf.Tensor4D, densify(filter, layout) as tf.Tensor4D, 1, 'valid'), bias), 0, 6).dataSync());
    expect(Math.max(...Array.from(y, (v, i) => Math.abs(v - expected[i])))).toBeLessThan(1e-4);
  });
});
