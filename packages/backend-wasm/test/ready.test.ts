// blockSparseWasmReady on a page that runs another backend must leave it alone:
// tf.findBackend('wasm') would start initializing wasm, and while that is
// pending tfjs refuses every op on the current backend.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

import * as tf from '@tensorflow/tfjs-core';
import {blockSparseWasmReady, blockSparseWasmThreads} from '@tfjs-blocksparse/backend-wasm';

test('blockSparseWasmReady with cpu as the backend compiles the kernels and leaves cpu usable', async () => {
  await tf.setBackend('cpu');
  await blockSparseWasmReady();
  expect(tf.getBackend()).toBe('cpu');
  expect(Array.from(tf.add(tf.scalar(1), tf.scalar(2)).dataSync())).toEqual([3]);
  expect(() => blockSparseWasmThreads()).toThrow(/the wasm backend is not initialized/);
});
