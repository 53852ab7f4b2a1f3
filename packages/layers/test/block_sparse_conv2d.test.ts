import '@tfjs-blocksparse/backend-cpu';

import * as tf from '@tensorflow/tfjs';
import {densify, dequantizeBlocks, quantizeBlocks} from '@tfjs-blocksparse/core';
import {BlockSparseConv2D, blockSparseConv2D} from '@tfjs-blocksparse/layers';

import {roundTrip, values} from './round_trip';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('BlockSparseConv2D', () => {
  test('equals tf.conv2d with the densified filter, strides, padding and activation', () => {
    const layer =
        blockSparseConv2D({filters: 32, kernelSize: 3, strides: 2, padding: 'same', blockSize: 8, density: 0.5, activation: 'relu'});
    const x = tf.randomNormal([2, 9, 9, 16], 0, 1, 'float32', 111);
    const y = layer.apply(x) as tf.Tensor;
    const [kernel, bias] = layer.getWeights();
    expect(kernel.shape).toEqual([layer.layout!.nnz, 3, 3, 8, 8]);
    const reference = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, densify(kernel, layer.layout!) as tf.Tensor4D, 2, 'same'), bias));
    expect(y.shape).toEqual([2, 5, 5, 32]);
    expect(tf.max(tf.abs(tf.sub(y, reference))).dataSync()[0]).toBeLessThan(1e-4);
    expect(layer.computeOutputShape([null, 9, 9, 16])).toEqual([null, 5, 5, 32]);
  });

  test('trains with model.fit and survives save and load with identical predictions', async () => {
    const model = tf.sequential({
      layers: [
        blockSparseConv2D({
          inputShape: [8, 8, 8],
          filters: 16,
          kernelSize: 3,
          padding: 'same',
          blockSize: 4,
          density: 0.5,
          activation: 'relu',
          layoutKind: 'smallWorld'
        }),
        tf.layers.flatten(), tf.layers.dense({units: 2})
      ]
    });
    model.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});
    const x = tf.randomNormal([32, 8, 8, 8], 0, 1, 'float32', 3);
    const y = tf.randomNormal([32, 2], 0, 1, 'float32', 4);
    const history = await model.fit(x, y, {epochs: 30, batchSize: 8, verbose: 0});
    const loss = history.history.loss as number[];
    expect(loss[loss.length - 1]).toBeLessThan(0.5 * loss[0]);
    const loaded = await roundTrip(model);
    const restored = loaded.layers[0] as BlockSparseConv2D;
    expect(restored).toBeInstanceOf(BlockSparseConv2D);
    expect(restored.layout!.equals((model.layers[0] as BlockSparseConv2D).layout!)).toBe(true);
    expect(values(loaded.predict(x))).toEqual(values(model.predict(x)));
  });

  test('bad arguments name the problem', () => {
    expect(() => blockSparseConv2D({filters: 16, kernelSize: 3, blockSize: 8, dataFormat: 'channelsFirst'}))
        .toThrow(/only dataFormat 'channelsLast' \(NHWC\) is supported/);
    expect(() => blockSparseConv2D({filters: 16, kernelSize: 3, blockSize: 8}).apply(tf.zeros([1, 5, 5, 12])))
        .toThrow(/block size 8 must divide both dimensions of the dense weight \[12, 16\]/);
  });
});

test('kernelDtype int8: int8 blocks compute the dequantized conv and save and load', async () => {
  const float = blockSparseConv2D({
    inputShape: [9, 9, 16],
    filters: 32,
    kernelSize: 3,
    strides: 2,
    padding: 'same',
    blockSize: 8,
    density: 0.5,
    seed: 4,
    activation: 'relu6'
  });
  tf.sequential({layers: [float]});
  const [kernel, bias] = float.getWeights();
  const {w, scales} = quantizeBlocks(kernel, float.layout!);
  const int8 = blockSparseConv2D({
    inputShape: [9, 9, 16],
    filters: 32,
    kernelSize: 3,
    strides: 2,
    padding: 'same',
    layout: float.layout!,
    activation: 'relu6',
    kernelDtype: 'int8'
  });
  const model = tf.sequential({layers: [int8]});
  int8.setWeights([scales, bias, w]);
  const x = tf.randomNormal([2, 9, 9, 16], 0, 1, 'float32', 12);
  const y = model.predict(x) as tf.Tensor;
  const filter = densify(dequantizeBlocks({w, scales}, float.layout!), float.layout!) as tf.Tensor4D;
  const reference = tf.relu6(tf.add(tf.conv2d(x as tf.Tensor4D, filter, 2, 'same'), bias));
  expect(tf.max(tf.abs(tf.sub(y, reference))).dataSync()[0]).toBeLessThan(1e-5);
  const loaded = await roundTrip(model);
  expect(values(loaded.predict(x) as tf.Tensor)).toEqual(values(y));
});
