// tfjs registers the cpu backend and the dense ops' gradients that the reference needs.
import '@tensorflow/tfjs';
import '@tfjs-blocksparse/backend-cpu';

import * as tf from '@tensorflow/tfjs-core';
import {FULL_SUITE, fusedConv2dCases, fusedMatMulCases, layoutFor, rowCountConv2dCases, rowCountMatMulCases, runSuite, SuiteResults} from '@tfjs-blocksparse/test-util';
import {describeSuiteResults} from '@tfjs-blocksparse/test-util/jest/jest_suite';

let results: SuiteResults;

beforeAll(async () => {
  await tf.setBackend('cpu');
  results = await runSuite(FULL_SUITE);
});

test('the suite ran on cpu', () => {
  expect(results.backend).toBe('cpu');
});

// The fused cases test the kernels' epilogues, and the row-count cases the kernels at each row count, only where
// a block is kept (with none, the ops return zeros, or bias and activation run as ops).
test('every fused case but the last two keeps a block, and every row-count case', () => {
  for (const cases of [fusedMatMulCases(), fusedConv2dCases()]) {
    expect(cases.map(c => layoutFor(c).nnz > 0)).toEqual(cases.map((_, i) => i < cases.length - 2));
  }
  for (const cases of [rowCountMatMulCases(), rowCountConv2dCases()]) {
    expect(cases.filter(c => layoutFor(c).nnz === 0)).toEqual([]);
  }
});

describeSuiteResults('cpu', FULL_SUITE, () => results);
