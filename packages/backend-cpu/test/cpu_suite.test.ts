// tfjs registers the cpu backend and the dense ops' gradients that the reference needs.
import '@tensorflow/tfjs';
import '@tfjs-blocksparse/backend-cpu';

import * as tf from '@tensorflow/tfjs-core';
import {FULL_SUITE, fusedConv2dCases, fusedMatMulCases, layoutFor, runSuite, SuiteResults} from '@tfjs-blocksparse/test-util';
import {describeSuiteResults} from '@tfjs-blocksparse/test-util/jest/jest_suite';

let results: SuiteResults;

beforeAll(async () => {
  await tf.setBackend('cpu');
  results = await runSuite(FULL_SUITE);
});

test('the suite ran on cpu', () => {
  expect(results.backend).toBe('cpu');
});

// The fused cases test the kernels' epilogues only where a block is kept (with none, bias and activation run as ops).
test('every fused case but the last two keeps a block', () => {
  for (const cases of [fusedMatMulCases(), fusedConv2dCases()]) {
    expect(cases.map(c => layoutFor(c).nnz > 0)).toEqual(cases.map((_, i) => i < cases.length - 2));
  }
});

describeSuiteResults('cpu', FULL_SUITE, () => results);
