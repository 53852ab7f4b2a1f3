// tfjs registers the cpu backend and the dense ops' gradients that the reference needs.
import '@tensorflow/tfjs';
import '@tfjs-blocksparse/backend-cpu';

import * as tf from '@tensorflow/tfjs-core';
import {FULL_SUITE, runSuite, SuiteResults} from '@tfjs-blocksparse/test-util';
import {describeSuiteResults} from '@tfjs-blocksparse/test-util/jest/jest_suite';

let results: SuiteResults;

beforeAll(async () => {
  await tf.setBackend('cpu');
  results = await runSuite(FULL_SUITE);
});

test('the suite ran on cpu', () => {
  expect(results.backend).toBe('cpu');
});

describeSuiteResults('cpu', FULL_SUITE, () => results);
