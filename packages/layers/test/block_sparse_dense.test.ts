import '@tfjs-blocksparse/backend-cpu';

import * as tf from '@tensorflow/tfjs';
import {backend_util, BlockLayout, densify, dequantizeBlocks, fromFloat16Blocks, quantizeBlocks, toFloat16Blocks} from '@tfjs-blocksparse/core';
import {BlockSparseDense, blockSparseDense} from '@tfjs-blocksparse/layers';

import {roundTrip, values} from './round_trip';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('BlockSparseDense', () => {
  test('equals a dense layer whose kernel is the densified packed kernel', () => {
    const layer = blockSparseDense({units: 48, blockSize: 8, density: 0.5, seed: 3, activation: 'relu'});
    const x = tf.randomNormal([5, 32], 0, 1, 'float32', 112);
    const y = layer.apply(x) as tf.Tensor;
    const [kernel, bias] = layer.getWeights();
    expect(kernel.shape).toEqual([layer.layout!.nnz, 8, 8]);
    const reference = tf.relu(tf.add(tf.matMul(x, densify(kernel, layer.layout!) as tf.Tensor2D), bias));
    expect(tf.max(tf.abs(tf.sub(y, reference))).dataSync()[0]).toBeLessThan(1e-5);
    expect(layer.countParams()).toBe(layer.layout!.nnz * 64 + 48);
  });

  test('starts at the dense initializer scale and keeps only the layout blocks', () => {
    const layer = blockSparseDense({units: 256, blockSize: 16, density: 0.25, kernelInitializer: 'glorotUniform'});
    layer.apply(tf.zeros([1, 256]));
    const kernel = layer.getWeights()[0];
    const limit = Math.sqrt(6 / (256 + 256));
    const k = kernel.dataSync();
    expect(Math.max(...Array.from(k, Math.abs))).toBeLessThanOrEqual(limit);
    expect(tf.moments(kernel).variance.dataSync()[0]).toBeCloseTo(limit * limit / 3, 3);
  });

  test('trains with model.fit through the block-sparse gradients', async () => {
    const model = tf.sequential({
      layers: [
        blockSparseDense({inputShape: [32], units: 64, blockSize: 8, density: 0.5, activation: 'tanh', layoutKind: 'smallWorld'}),
        blockSparseDense({units: 8, blockSize: 8, density: 0.5})
      ]
    });
    model.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});
    const x = tf.randomNormal([64, 32], 0, 1, 'float32', 1);
    const y = tf.randomNormal([64, 8], 0, 1, 'float32', 2);
    const history = await model.fit(x, y, {epochs: 40, batchSize: 16, verbose: 0});
    const loss = history.history.loss as number[];
    expect(loss[loss.length - 1]).toBeLessThan(0.5 * loss[0]);
  });

  test('save and load restores the layout, weights and predictions exactly (Sequential and functional)', async () => {
    const input = tf.input({shape: [64]});
    const hidden =
        blockSparseDense({units: 32, blockSize: 16, density: 0.5, layoutKind: 'smallWorld', seed: 5, activation: 'relu'}).apply(input) as
        tf.SymbolicTensor;
    const functional = tf.model({inputs: input, outputs: tf.layers.dense({units: 4}).apply(hidden) as tf.SymbolicTensor});
    const sequential = tf.sequential({
      layers: [
        blockSparseDense({inputShape: [64], units: 32, blockSize: 8, density: 0.25, layoutKind: 'banded', useBias: false}),
      ]
    });
    const x = tf.randomNormal([3, 64], 0, 1, 'float32', 113);
    for (const model of [functional, sequential]) {
      const loaded = await roundTrip(model);
      const original = model.layers.find(l => l instanceof BlockSparseDense) as BlockSparseDense;
      const restored = loaded.layers.find(l => l instanceof BlockSparseDense) as BlockSparseDense;
      expect(restored.layout!.equals(original.layout!)).toBe(true);
      expect(values(loaded.predict(x))).toEqual(values(model.predict(x)));
    }
  });

  test('an explicit layout is used as given; one that does not fit names the problem', () => {
    const layout = new BlockLayout(8, 2, 3, [[0, 0], [1, 2]]);
    const layer = blockSparseDense({units: 24, blockSize: 8, layout});
    layer.apply(tf.zeros([1, 16]));
    expect(layer.layout).toBe(layout);
    expect(() => blockSparseDense({units: 24, blockSize: 8, layout}).apply(tf.zeros([1, 32])))
        .toThrow(/BlockSparseDense: the layout \(block size 8, 16 x 24\) does not fit blockSize 8 and a 32 x 24 weight/);
    // The block size is the layout's when not given (as JSON too), and saved with the layer.
    const implicit = blockSparseDense({units: 24, layout: layout.toJSON()});
    implicit.apply(tf.zeros([1, 16]));
    expect([implicit.layout!.equals(layout), implicit.getConfig().blockSize]).toEqual([true, 8]);
    expect(() => blockSparseDense({units: 24, blockSize: 4, layout}).apply(tf.zeros([1, 16])))
        .toThrow(/the layout \(block size 8, 16 x 24\) does not fit blockSize 4/);
  });

  test('bad arguments name the problem', () => {
    expect(() => blockSparseDense({units: 30, blockSize: 8}).apply(tf.zeros([1, 32])))
        .toThrow(/BlockSparseDense: randomLayout: block size 8 must divide both dimensions of the dense weight \[32, 30\]/);
    expect(() => blockSparseDense({units: 32, blockSize: 0}))
        .toThrow(/blockSize must be a positive integer \(or come from an explicit layout\), got 0/);
    expect(() => blockSparseDense({units: 32}))
        .toThrow(/blockSize must be a positive integer \(or come from an explicit layout\), got undefined/);
    expect(() => blockSparseDense({units: 32, blockSize: 8, density: 2})).toThrow(/density must be in \[0, 1\], got 2/);
    expect(() => blockSparseDense({units: 32, blockSize: 8, layoutKind: 'ring' as 'random'}))
        .toThrow(/layoutKind must be one of random, smallWorld, banded, magnitude, got 'ring'/);
    expect(() => blockSparseDense({units: 32, blockSize: 8, layoutKind: 'magnitude'}))
        .toThrow(/layoutKind 'magnitude' needs an explicit layout \(magnitudeLayout of a trained weight, or sparsifyModel\)/);
  });
});

test('disposing the layer frees its layout\'s tables on the backends that built them', () => {
  const layer = blockSparseDense({units: 16, density: 0.5, blockSize: 8, seed: 1});
  const y = layer.apply(tf.ones([1, 16])) as tf.Tensor;
  // A backend's tables of the layout, as the GPU and wasm kernels build them.
  const freed: unknown[] = [];
  const tables: backend_util.TableBackend = {
    makeTensorInfo: (shape, dtype) => ({dataId: {}, shape, dtype}),
    disposeData: dataId => freed.push(dataId) > 0,
  };
  const table = backend_util.layoutTable(tables, layer.layout!, 'coords');
  layer.dispose();
  expect(freed).toEqual([table.dataId]);
  y.dispose();
});

test(
    'kernelDtype int8: int8 blocks from quantizeBlocks compute the dequantized layer, a quarter of the bytes, and save and load',
    async () => {
      const float = blockSparseDense({inputShape: [32], units: 48, blockSize: 8, density: 0.5, seed: 3, activation: 'relu'});
      tf.sequential({layers: [float]});
      const [kernel, bias] = float.getWeights();
      const {w, scales} = quantizeBlocks(kernel, float.layout!);
      const int8 = blockSparseDense({inputShape: [32], units: 48, layout: float.layout!, activation: 'relu', kernelDtype: 'int8'});
      const model = tf.sequential({layers: [int8]});
      int8.setWeights([scales, bias, w]);
      expect(int8.getWeights().map(v => [v.dtype, v.shape])).toEqual([
        ['float32', [48]], ['float32', [48]], ['int32', [float.layout!.nnz, 4, 4]]
      ]);
      expect(int8.trainableWeights.map(v => v.originalName)).toEqual([`${int8.name}/kernel_scales`, `${int8.name}/bias`]);
      const x = tf.randomNormal([5, 32], 0, 1, 'float32', 11);
      const y = model.predict(x) as tf.Tensor;
      const reference =
          tf.relu(tf.add(tf.matMul(x, densify(dequantizeBlocks({w, scales}, float.layout!), float.layout!) as tf.Tensor2D), bias));
      expect(tf.max(tf.abs(tf.sub(y, reference))).dataSync()[0]).toBeLessThan(1e-3 * tf.max(tf.abs(reference)).dataSync()[0]);
      expect(w.size * 4).toBe(kernel.size);
      const loaded = await roundTrip(model);
      expect(loaded.layers[0].getConfig().kernelDtype).toBe('int8');
      expect(loaded.getWeights()[2].dtype).toBe('int32');
      expect(values(loaded.predict(x) as tf.Tensor)).toEqual(values(y));
      expect(() => blockSparseDense({units: 8, blockSize: 8, kernelDtype: 'int4' as 'int8'}))
          .toThrow(/kernelDtype must be 'float32', 'int8' or 'float16', got 'int4'/);
    });

test(
    'kernelDtype float16: float16 blocks from toFloat16Blocks compute the layer they stand for, half the bytes, and save and load',
    async () => {
      const float = blockSparseDense({inputShape: [32], units: 48, blockSize: 8, density: 0.5, seed: 3, activation: 'relu'});
      tf.sequential({layers: [float]});
      const [kernel, bias] = float.getWeights();
      const w = toFloat16Blocks(kernel, float.layout!);
      const half = blockSparseDense({inputShape: [32], units: 48, layout: float.layout!, activation: 'relu', kernelDtype: 'float16'});
      const model = tf.sequential({layers: [half]});
      half.setWeights([bias, w]);
      expect(half.getWeights().map(v => [v.dtype, v.shape])).toEqual([['float32', [48]], ['int32', [float.layout!.nnz, 8, 4]]]);
      expect(half.trainableWeights.map(v => v.originalName)).toEqual([`${half.name}/bias`]);
      const x = tf.randomNormal([5, 32], 0, 1, 'float32', 11);
      const y = model.predict(x) as tf.Tensor;
      const reference = tf.relu(tf.add(tf.matMul(x, densify(fromFloat16Blocks(w, float.layout!), float.layout!) as tf.Tensor2D), bias));
      expect(tf.max(tf.abs(tf.sub(y, reference))).dataSync()[0]).toBeLessThan(1e-6 * tf.max(tf.abs(reference)).dataSync()[0]);
      expect(w.size * 2).toBe(kernel.size);
      const loaded = await roundTrip(model);
      expect(loaded.layers[0].getConfig().kernelDtype).toBe('float16');
      expect(values(loaded.predict(x) as tf.Tensor)).toEqual(values(y));
      expect(() => blockSparseDense({inputShape: [30], units: 30, blockSize: 5, density: 1, kernelDtype: 'float16'}).build([
        null, 30
      ])).toThrow(/kernelDtype 'float16' needs an even block size, got 5/);
    });
