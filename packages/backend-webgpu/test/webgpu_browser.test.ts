import {describeBrowserSuite} from '@tfjs-blocksparse/test-util/jest/browser';

// A subset of the shared suite on webgpu in headless Chromium (WebGPU on SwiftShader).
describeBrowserSuite('webgpu', {
  matMulCases: 60,
  conv2dCases: 40,
  finiteDifferenceSamples: 6,
  leakIterations: 10,
  trainingSteps: 30,
  layersEpochs: 15,
  unsupportedBlockSize: 6,
  int8Blocks: true,
  int8Cases: 4,
  float16Blocks: true,
  float16Cases: 4
});
