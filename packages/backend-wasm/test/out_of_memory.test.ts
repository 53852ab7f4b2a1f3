// A full heap (emscripten's malloc returning 0) must give a clear error, never
// writes at offset 0 that corrupt the heap and crash later somewhere else.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

import * as tf from '@tensorflow/tfjs-core';
import {blockSparseWasmReady} from '@tfjs-blocksparse/backend-wasm';
import {blockSparseMatMul, densify, randomLayout, sparsify} from '@tfjs-blocksparse/core';

interface Malloc {
  _malloc(bytes: number): number;
}

test('an allocation the heap cannot make throws a clear error, and the backend keeps working', async () => {
  await tf.setBackend('wasm');
  await blockSparseWasmReady();
  const wasm = (tf.backend() as unknown as {wasm: Malloc}).wasm;
  const x = tf.randomNormal([3, 32], 0, 1, 'float32', 1);
  const dense = tf.randomNormal([32, 32], 0, 1, 'float32', 2);
  const layout = randomLayout({inputSize: 32, outputSize: 32, blockSize: 8, density: 0.5, seed: 3});
  const w = sparsify(dense, layout);
  const malloc = wasm._malloc;
  wasm._malloc = () => 0;
  try {
    // The layout's first call builds its tables in the heap: the first allocation that fails.
    expect(() => blockSparseMatMul(x, w, layout)).toThrow(/the wasm backend is out of memory: [0-9]+ more bytes do not fit/);
  } finally {
    wasm._malloc = malloc;
  }
  const y = blockSparseMatMul(x, w, layout);
  const expected = tf.matMul(x, densify(w, layout));
  expect(tf.max(tf.abs(tf.sub(y, expected))).dataSync()[0]).toBeLessThan(1e-4);
  tf.dispose([x, dense, w, y, expected]);
});
