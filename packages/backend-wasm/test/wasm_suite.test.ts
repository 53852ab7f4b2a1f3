// tfjs registers the cpu backend and the dense ops' gradients that the reference needs.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@tfjs-blocksparse/backend-wasm';

import * as tf from '@tensorflow/tfjs-core';
import {FULL_SUITE, runSuite, SuiteResults} from '@tfjs-blocksparse/test-util';
import {describeSuiteResults} from '@tfjs-blocksparse/test-util/jest/jest_suite';

let results: SuiteResults;

beforeAll(async () => {
  await tf.setBackend('wasm');
  results = await runSuite({...FULL_SUITE, unsupportedBlockSize: 6, referenceBackend: 'cpu'});
});

test('the suite ran on wasm', () => {
  expect(results.backend).toBe('wasm');
});

describeSuiteResults('wasm', {...FULL_SUITE, unsupportedBlockSize: 6, referenceBackend: 'cpu'}, () => results);
