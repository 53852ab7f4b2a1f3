import {describeBrowserSuite} from '@tfjs-blocksparse/test-util/jest/browser';

// The shared suite on webgl in headless Chromium (WebGL2 through ANGLE on
// SwiftShader, float32 textures): at least 100 random cases per op.
describeBrowserSuite('webgl', {
  matMulCases: 120,
  conv2dCases: 100,
  finiteDifferenceSamples: 12,
  leakIterations: 10,
  trainingSteps: 30,
  layersEpochs: 15,
  unsupportedBlockSize: 3,
  int8Blocks: true,
  float16Blocks: true
});
