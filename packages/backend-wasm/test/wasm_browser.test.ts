import {describeBrowserSuite} from '@tfjs-blocksparse/test-util/jest/browser';

// The shared suite on wasm in headless Chromium, twice: a cross-origin
// isolated page gets tfjs's threaded build (shared memory) and the kernels'
// workers (suite.html asks for as many threads as cores, at least 2); a
// plain page gets tfjs's SIMD build, one thread. Dense references on cpu
// (see setReferenceBackend).
const isolated = describeBrowserSuite(
    'wasm', {
      matMulCases: 120,
      conv2dCases: 100,
      finiteDifferenceSamples: 12,
      leakIterations: 10,
      trainingSteps: 30,
      layersEpochs: 15,
      unsupportedBlockSize: 6,
      referenceBackend: 'cpu',
      int8Blocks: true,
      float16Blocks: true
    },
    true);

test('the cross-origin isolated page ran the kernels on worker threads', () => {
  expect(isolated().wasmKernelThreads).toBeGreaterThanOrEqual(2);
});

test(
    '3000 threaded jobs back to back, of six sizes (one row-major, two with float16 blocks), the pool resized twice, workers starting mid-run: every output as on one thread',
    () => {
      expect(isolated().threadStress).toEqual({calls: 3000, mismatches: 0, threads: isolated().wasmKernelThreads});
    });

const plain = describeBrowserSuite('wasm', {
  matMulCases: 40,
  conv2dCases: 30,
  finiteDifferenceSamples: 6,
  leakIterations: 10,
  trainingSteps: 30,
  layersEpochs: 15,
  unsupportedBlockSize: 6,
  referenceBackend: 'cpu',
  int8Blocks: true,
  float16Blocks: true
});

test('the plain page ran the kernels on one thread', () => {
  expect(plain().wasmKernelThreads).toBe(1);
});
