import * as tf from '@tensorflow/tfjs';
import {FusedDepthwiseConv2D} from '@tfjs-blocksparse/layers';

import {roundTrip, values} from './round_trip';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('FusedDepthwiseConv2D', () => {
  test.each(['relu6', 'relu', 'sigmoid', 'tanh'] as const)(
      'equals tf.layers.depthwiseConv2d with bias and %s, and reloads', async activation => {
        const args = {kernelSize: 3, strides: 2, padding: 'same' as const, depthMultiplier: 2, activation, inputShape: [7, 7, 4]};
        const reference = tf.sequential({layers: [tf.layers.depthwiseConv2d(args)]});
        const fused = tf.sequential({layers: [new FusedDepthwiseConv2D(args)]});
        fused.setWeights([tf.randomNormal([3, 3, 4, 2], 0, 1, 'float32', 1), tf.randomNormal([8], 0, 1, 'float32', 2)]);
        reference.setWeights(fused.getWeights());
        const x = tf.randomNormal([2, 7, 7, 4], 0, 1, 'float32', 3);
        const expected = values(reference.predict(x) as tf.Tensor);
        values(fused.predict(x) as tf.Tensor).forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThan(1e-5));
        const reloaded = await roundTrip(fused);
        expect(reloaded.layers[0]).toBeInstanceOf(FusedDepthwiseConv2D);
        expect(values(reloaded.predict(x) as tf.Tensor)).toEqual(values(fused.predict(x) as tf.Tensor));
      });
});
