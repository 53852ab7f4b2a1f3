// What an app built by a bundler from the npm packages does: it imports the
// ops, the kernels of the backends it uses and the layers, and runs a
// block-sparse Dense layer, checked against tf.matMul with the dropped blocks
// zeroed. examples/test/bundled_app.test.ts builds it with esbuild from the
// `npm pack` tarballs and runs it on webgl and wasm (?backend=).
import * as tf from '@tensorflow/tfjs';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';
import {densify, randomLayout} from '@tfjs-blocksparse/core';
import '@tfjs-blocksparse/backend-webgl';
import {blockSparseWasmReady} from '@tfjs-blocksparse/backend-wasm';
import {blockSparseDense} from '@tfjs-blocksparse/layers';

async function run(backend) {
  setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  if (!(await tf.setBackend(backend))) {
    throw new Error(`backend ${backend} is not available`);
  }
  await blockSparseWasmReady();
  const layout = randomLayout({inputSize: 64, outputSize: 128, blockSize: 16, density: 1 / 4, seed: 1});
  const layer = blockSparseDense({units: 128, blockSize: 16, layout, activation: 'relu', inputShape: [64]});
  const model = tf.sequential({layers: [layer]});
  const x = tf.randomNormal([4, 64], 0, 1, 'float32', 2);
  const [packed, bias] = layer.getWeights();
  const expected = tf.relu(tf.add(tf.matMul(x, densify(packed, layout)), bias));
  const error = tf.max(tf.abs(tf.sub(model.predict(x), expected)));
  return {backend: tf.getBackend(), maxError: (await error.data())[0], nnz: layout.nnz};
}

const backend = new URLSearchParams(location.search).get('backend') ?? 'webgl';
window.result = run(backend).catch(e => ({error: e.message}));
