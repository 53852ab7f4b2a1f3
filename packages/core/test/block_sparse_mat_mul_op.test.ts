import '@tfjs-blocksparse/backend-cpu';

import * as tf from '@tensorflow/tfjs';
import {blockSparseMatMul, BlockSparseMatMulOp, randomLayout} from '@tfjs-blocksparse/core';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

test('the object form owns its layout and matches the functional op, gradient included', () => {
  const layout = randomLayout({inputSize: 32, outputSize: 16, blockSize: 8, density: 0.5, seed: 1});
  const op = new BlockSparseMatMulOp(layout);
  expect(op.wShape).toEqual([4, 8, 8]);
  const w = tf.randomNormal(op.wShape, 0, 1, 'float32', 108);
  const x = tf.randomNormal([3, 32], 0, 1, 'float32', 109);
  const dy = tf.randomNormal([3, 16], 0, 1, 'float32', 110);
  const same = (a: tf.Tensor, b: tf.Tensor) => expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
  same(op.apply(x, w), blockSparseMatMul(x, w, layout));
  same(op.apply(dy, w, {transposeW: true}), blockSparseMatMul(dy, w, layout, {transposeW: true}));
  same(op.gradW(x, dy), tf.grad((v: tf.Tensor) => tf.sum(tf.mul(blockSparseMatMul(x, v, layout), dy)))(w));
  same(op.sparsify(op.densify(w)), w);
  expect(() => new BlockSparseMatMulOp({} as never)).toThrow(/expected a BlockLayout/);
});
