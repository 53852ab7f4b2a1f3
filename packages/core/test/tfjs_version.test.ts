import * as tf from '@tensorflow/tfjs-core';
import {backend_util} from '@tfjs-blocksparse/core';

test('the tested tfjs is the one installed here, and every package pins it as its peer', () => {
  expect(tf.version_core).toBe(backend_util.TESTED_TFJS_VERSION);
  for (const name of ['core', 'backend-cpu', 'backend-wasm', 'backend-webgl', 'backend-webgpu', 'layers', 'graph', 'converter']) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const {peerDependencies} = require(`../../${name}/package.json`) as {peerDependencies: Record<string, string>};
    const tfjsPeers = Object.entries(peerDependencies).filter(([peer]) => peer.startsWith('@tensorflow/'));
    expect({name, peers: tfjsPeers.filter(([, range]) => range !== backend_util.TESTED_TFJS_VERSION)}).toEqual({name, peers: []});
  }
});

test('another tfjs version gets a warning naming the tested one; the tested one none', () => {
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    expect(backend_util.checkTfjsVersion('@tfjs-blocksparse/backend-webgl', '@tensorflow/tfjs-core', backend_util.TESTED_TFJS_VERSION))
        .toBeNull();
    expect(warn).not.toHaveBeenCalled();
    const warning = backend_util.checkTfjsVersion('@tfjs-blocksparse/backend-webgl', '@tensorflow/tfjs-core', '4.17.0');
    expect(warning).toBe(
        '@tfjs-blocksparse/backend-webgl is tested with @tensorflow/tfjs-core 4.22.0 and this page loaded 4.17.0: it reads ' +
        'tfjs internals that other versions may have changed (its results are checked only on the tested version)');
    expect(warn).toHaveBeenCalledWith(warning);
  } finally {
    warn.mockRestore();
  }
});
