import {describeBrowserSuite} from '@tfjs-blocksparse/test-util/jest/browser';

// The shared suite on wasm in headless Chromium, twice: a cross-origin
// isolated page gets tfjs's threaded build (shared memory), a plain page its
// SIMD build. Dense references on cpu (see setReferenceBackend).
describeBrowserSuite('wasm', {
  matMulCases: 120,
  conv2dCases: 100,
  finiteDifferenceSamples: 12,
  leakIterations: 10,
  trainingSteps: 30,
  layersEpochs: 15,
  unsupportedBlockSize: 6,
  referenceBackend: 'cpu'
}, true);

describeBrowserSuite('wasm', {
  matMulCases: 40,
  conv2dCases: 30,
  finiteDifferenceSamples: 6,
  leakIterations: 10,
  trainingSteps: 30,
  layersEpochs: 15,
  unsupportedBlockSize: 6,
  referenceBackend: 'cpu'
});
