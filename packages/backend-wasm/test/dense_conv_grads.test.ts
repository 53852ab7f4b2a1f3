// The dense conv gradients this package adds to tfjs-backend-wasm (which lacks
// them) against tfjs's cpu backend, through tf.grads as training reaches them.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@tfjs-blocksparse/backend-wasm';

import * as tf from '@tensorflow/tfjs-core';

type Pad = 'same'|'valid'|[[number, number], [number, number], [number, number], [number, number]];
interface Case {
  name: string;
  xShape: [number, number, number, number];
  filterShape: [number, number, number, number];
  strides: number;
  pad: Pad;
  dilations: number;
  depthwise: boolean;
}

const CASES: Case[] = [
  {name: 'conv 3x3 same', xShape: [2, 7, 6, 3], filterShape: [3, 3, 3, 5], strides: 1, pad: 'same', dilations: 1, depthwise: false},
  {
    name: 'conv 3x3 stride 2 valid',
    xShape: [1, 9, 8, 4],
    filterShape: [3, 3, 4, 6],
    strides: 2,
    pad: 'valid',
    dilations: 1,
    depthwise: false
  },
  {
    name: 'conv 1x2 explicit pad',
    xShape: [2, 5, 5, 2],
    filterShape: [1, 2, 2, 3],
    strides: 1,
    pad: [[0, 0], [1, 0], [0, 2], [0, 0]],
    dilations: 1,
    depthwise: false
  },
  // Channels that 8 or 4 divide: through the block-sparse kernel with every block kept.
  {
    name: 'conv 3x3 same, 16 -> 24 channels',
    xShape: [2, 7, 6, 16],
    filterShape: [3, 3, 16, 24],
    strides: 1,
    pad: 'same',
    dilations: 1,
    depthwise: false
  },
  {
    name: 'conv 1x1 valid, 8 -> 16 channels',
    xShape: [2, 9, 8, 8],
    filterShape: [1, 1, 8, 16],
    strides: 1,
    pad: 'valid',
    dilations: 1,
    depthwise: false
  },
  {
    name: 'conv 2x3 stride 2 explicit pad, 12 -> 4 channels',
    xShape: [1, 9, 8, 12],
    filterShape: [2, 3, 12, 4],
    strides: 2,
    pad: [[0, 0], [1, 0], [0, 2], [0, 0]],
    dilations: 1,
    depthwise: false
  },
  {name: 'depthwise 3x3 same', xShape: [2, 6, 7, 4], filterShape: [3, 3, 4, 1], strides: 1, pad: 'same', dilations: 1, depthwise: true},
  {
    name: 'depthwise 3x3 stride 2 multiplier 2',
    xShape: [1, 9, 9, 3],
    filterShape: [3, 3, 3, 2],
    strides: 2,
    pad: 'same',
    dilations: 1,
    depthwise: true
  },
  {
    name: 'depthwise 5x5 stride 2 valid',
    xShape: [2, 11, 10, 2],
    filterShape: [5, 5, 2, 1],
    strides: 2,
    pad: 'valid',
    dilations: 1,
    depthwise: true
  },
];

/** dx and dW of sum(conv(x, w) · g) on the current backend (g: a fixed upstream gradient). */
function gradients(c: Case): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.randomNormal(c.xShape, 0, 1, 'float32', 1);
    const w = tf.randomNormal(c.filterShape, 0, 1, 'float32', 2);
    const conv = (xx: tf.Tensor4D, ww: tf.Tensor4D) => c.depthwise ? tf.depthwiseConv2d(xx, ww, c.strides, c.pad, 'NHWC', c.dilations) :
                                                                     tf.conv2d(xx, ww, c.strides, c.pad, 'NHWC', c.dilations);
    const g = tf.randomNormal(conv(x as tf.Tensor4D, w as tf.Tensor4D).shape, 0, 1, 'float32', 3);
    const grads = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(conv(xx as tf.Tensor4D, ww as tf.Tensor4D), g)));
    return grads([x, w]).map(t => t.dataSync() as Float32Array);
  });
}

describe('dense conv gradients on wasm', () => {
  for (const c of CASES) {
    test(`${c.name}: dx and dW equal tfjs cpu's`, async () => {
      await tf.setBackend('cpu');
      const expected = gradients(c);
      await tf.setBackend('wasm');
      const before = tf.memory().numTensors;
      const actual = gradients(c);
      expect(tf.memory().numTensors).toBe(before);
      for (let i = 0; i < 2; i++) {
        expect(actual[i].length).toBe(expected[i].length);
        const scale = Math.max(...expected[i].map(Math.abs));
        const worst = Math.max(...actual[i].map((v, j) => Math.abs(v - expected[i][j])));
        expect(worst / scale).toBeLessThan(1e-5);
      }
    });
  }

  test('NCHW is refused with a clear error', async () => {
    await tf.setBackend('wasm');
    const x = tf.ones([1, 2, 4, 4]);
    const dy = tf.ones([1, 2, 4, 4]);
    expect(
        () => tf.engine().runKernel(
            'Conv2DBackpropFilter', {x, dy}, {strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [1, 1, 2, 2]}))
        .toThrow(/only the NHWC data format/);
    tf.dispose([x, dy]);
  });
});
