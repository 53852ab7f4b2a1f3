// Runs the shared suite on tfjs's webgpu backend in Node (Dawn) and writes
// the results as JSON: node dawn_suite_runner.mjs <options.json> <out.json>.
// A child process of its own, because the `webgpu` package is ESM-only and
// keeps Node alive; it runs the built bundles, like a user would.
import {readFileSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';

import {setUpDawn} from '../../../scripts/webgpu_node.mjs';

const [optionsPath, outPath] = process.argv.slice(2);
const require = createRequire(import.meta.url);
/** The WGSL kernels take block sizes that are multiples of 4: a size of 6 must fail clearly, leaking nothing. */
function unsupportedBlockSizeError(tf, tfbs) {
  const layout = tfbs.randomLayout({inputSize: 12, outputSize: 12, blockSize: 6, density: 1});
  const x = tf.zeros([2, 12]);
  const w = tf.zeros([layout.nnz, 6, 6]);
  const before = tf.memory().numTensors;
  let message = null;
  try {
    tfbs.blockSparseMatMul(x, w, layout);
  } catch (e) {
    message = e.message;
  }
  const leaked = tf.memory().numTensors - before;
  tf.dispose([x, w]);
  return {message, leaked};
}

try {
  const adapter = await setUpDawn();
  const tf = require('@tensorflow/tfjs');
  require('@tensorflow/tfjs-backend-webgpu');
  require('@tfjs-blocksparse/backend-webgpu');
  const {runSuite} = require('@tfjs-blocksparse/test-util');
  if (!(await tf.setBackend('webgpu'))) {
    throw new Error('tfjs could not initialise the webgpu backend on Dawn');
  }
  const results = await runSuite(JSON.parse(readFileSync(optionsPath, 'utf8')));
  const unsupportedBlockSize = unsupportedBlockSizeError(tf, require('@tfjs-blocksparse/core'));
  writeFileSync(outPath, JSON.stringify({adapter: {vendor: adapter.vendor, architecture: adapter.architecture, device: adapter.device, description: adapter.description}, results, unsupportedBlockSize}));
  process.exit(0);
} catch (e) {
  writeFileSync(outPath, JSON.stringify({fatal: `${e.message}\n${e.stack}`}));
  process.exit(1);
}
