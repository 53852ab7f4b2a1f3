// node scripts/bench/op_times.mjs [size]   (default 4096; webgpu through Dawn)
// Where the time of one call goes, for tfjs's dense matmul and the
// block-sparse forward, dx and dW at size x size x size: GPU time from
// timestamp queries, wall time per call over 20 calls with one read-back at
// the end, and the host's time to issue a call. Wall minus GPU time is the
// per-call overhead of tfjs and Dawn, which caps speedups of small calls.
import {createRequire} from 'node:module';

import {setUpDawn} from '../webgpu_node.mjs';

const require = createRequire(import.meta.url);
const size = Number(process.argv[2] ?? 4096);
const adapter = await setUpDawn({timestamps: true});
const tf = require('@tensorflow/tfjs');
const tfbs = require('@tfjs-blocksparse/core');
require('@tensorflow/tfjs-backend-webgpu');
require('@tfjs-blocksparse/backend-webgpu');
if (!(await tf.setBackend('webgpu')) || !tf.backend().supportTimestampQuery) {
  console.error('needs the webgpu backend with timestamp queries');
  process.exit(1);
}
console.log(`${adapter.vendor} ${adapter.device ?? ''} ${adapter.description}, ${size}^3`);

const CALLS = 20;
async function measure(name, fn) {
  for (let i = 0; i < 2; i++) {
    const out = fn();
    await Promise.all([out].flat().map(t => t.data()));
    tf.dispose(out);
  }
  const gpuMs = (await tf.time(() => tf.dispose(fn()))).kernelMs;
  const start = performance.now();
  let out = [];
  for (let i = 0; i < CALLS; i++) {
    tf.dispose(out);
    out = fn();
  }
  const issueMs = (performance.now() - start) / CALLS;
  const sums = [out].flat().map(t => tf.sum(t));
  await Promise.all(sums.map(t => t.data()));
  const wallMs = (performance.now() - start) / CALLS;
  tf.dispose([out, sums]);
  console.log(`${name}: GPU ${gpuMs.toFixed(2)} ms, wall ${wallMs.toFixed(2)} ms/call, host issue ${issueMs.toFixed(2)} ms/call`);
}

const x = tf.randomNormal([size, size]);
const dy = tf.randomNormal([size, size]);
const w = tf.randomNormal([size, size]);
await measure('dense forward', () => tf.matMul(x, w));
await measure('dense dx', () => tf.matMul(dy, w, false, true));
await measure('dense dW', () => tf.matMul(x, dy, true, false));
for (const [blockSize, density] of [[8, 1], [16, 1], [32, 1], [16, 1 / 8], [32, 1 / 8]]) {
  const layout = tfbs.randomLayout({inputSize: size, outputSize: size, blockSize, density, seed: 1});
  const packed = tf.randomNormal([layout.nnz, blockSize, blockSize]);
  const name = `bs ${blockSize} d=1/${1 / density}`;
  await measure(`${name} forward`, () => tfbs.blockSparseMatMul(x, packed, layout));
  await measure(`${name} dx`, () => tfbs.blockSparseMatMul(dy, packed, layout, {transposeW: true}));
  await measure(`${name} dW`, () => tfbs.blockSparseMatMulGradW(x, dy, layout));
  tf.dispose(packed);
}
process.exit(0);
