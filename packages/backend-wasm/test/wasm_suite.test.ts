// tfjs registers the cpu backend and the dense ops' gradients that the reference needs.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {blockSparseWasmThreads, setBlockSparseWasmThreads} from '@tfjs-blocksparse/backend-wasm';

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

test('in Node the kernels run on one thread (tfjs-backend-wasm\'s memory is not shared there)', () => {
  expect(blockSparseWasmThreads()).toBe(1);
});

test('a thread count that is not a positive integer is refused', () => {
  expect(() => setBlockSparseWasmThreads(0)).toThrow(/threads must be a positive integer, got 0/);
  expect(() => setBlockSparseWasmThreads(1.5)).toThrow(/positive integer/);
});

describeSuiteResults('wasm', {...FULL_SUITE, unsupportedBlockSize: 6, referenceBackend: 'cpu'}, () => results);
