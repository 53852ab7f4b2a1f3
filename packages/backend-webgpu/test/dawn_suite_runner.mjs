// Runs the shared suite on tfjs's webgpu backend in Node (Dawn) and writes
// the results as JSON: node dawn_suite_runner.mjs <options.json> <out.json>.
// A child process of its own, because the `webgpu` package is ESM-only and
// keeps Node alive; it runs the built bundles, like a user would.
import {readFileSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';

import {setUpDawn} from '../../../scripts/webgpu_node.mjs';

const [optionsPath, outPath] = process.argv.slice(2);
const require = createRequire(import.meta.url);
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
  writeFileSync(outPath, JSON.stringify({
    adapter: {vendor: adapter.vendor, architecture: adapter.architecture, device: adapter.device, description: adapter.description},
    results
  }));
  process.exit(0);
} catch (e) {
  writeFileSync(outPath, JSON.stringify({fatal: `${e.message}\n${e.stack}`}));
  process.exit(1);
}
