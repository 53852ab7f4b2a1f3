import '@tfjs-blocksparse/backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tfjs-blocksparse/backend-wasm';

import * as tf from '@tensorflow/tfjs';
import {BlockLayout, densify, sparsify} from '@tfjs-blocksparse/core';
import {accuracy, formatReport, sparsifyModel} from '@tfjs-blocksparse/converter';
import {BlockSparseConv2D, BlockSparseDense} from '@tfjs-blocksparse/layers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function convNet(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({inputShape: [8, 8, 8], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv'}),
      tf.layers.flatten(), tf.layers.dense({units: 32, activation: 'relu', name: 'hidden'}), tf.layers.dense({units: 10, name: 'logits'})
    ]
  });
}

function maxDiff(a: tf.Tensor|tf.Tensor[], b: tf.Tensor|tf.Tensor[]): number {
  return tf.max(tf.abs(tf.sub(a as tf.Tensor, b as tf.Tensor))).dataSync()[0];
}

describe('sparsifyModel', () => {
  test('at density 1 reproduces the dense predictions', async () => {
    const model = convNet();
    const x = tf.randomNormal([4, 8, 8, 8], 0, 1, 'float32', 101);
    const {model: sparse, report} = await sparsifyModel(model, {density: 1, blockSize: 2});
    expect(report.layers.map(l => [l.name, l.converted])).toEqual([['conv', true], ['hidden', true], ['logits', true]]);
    expect(sparse.layers[0]).toBeInstanceOf(BlockSparseConv2D);
    expect(maxDiff(sparse.predict(x), model.predict(x))).toBeLessThan(1e-4);
  });

  test('onlyFaster converts exactly the layers it timed faster block-sparse, and the report shows each speedup', async () => {
    const model = convNet();
    const setBackend = jest.spyOn(tf.engine(), 'setBackend');
    const {model: sparse, report} = await sparsifyModel(model, {density: 1, blockSize: 8, onlyFaster: true, exclude: /logits/});
    // Timed on the active backend: no switch (setBackend would set up every kernel again).
    const switches = setBackend.mock.calls.length;
    setBackend.mockRestore();
    expect(switches).toBe(0);
    for (const layer of report.layers.filter(l => l.name !== 'logits')) {
      if (layer.converted) {
        expect({name: layer.name, faster: layer.speedup! >= 1.1}).toEqual({name: layer.name, faster: true});
      } else {
        expect(layer.reason)
            .toMatch(/^not faster block-sparse on cpu at batch 1 \(\d+\.\d\dx of dense, under 1.1x: [\d.]+ ms against [\d.]+ ms\)$/);
        expect(layer.speedup).toBeLessThan(1.1);
      }
    }
    // Every timed layer shows its speedup, converted or not (whichever way the timing went on this machine).
    expect(formatReport(report).split('\n')[0]).toMatch(/norm kept +speedup +params/);
    const x = tf.randomNormal([4, 8, 8, 8], 0, 1, 'float32', 102);
    expect(maxDiff(sparse.predict(x), model.predict(x))).toBeLessThan(1e-4);
  });

  test('onlyFaster with timeOn times the layers on that backend and converts on the active one', async () => {
    const model = convNet();
    const setBackend = jest.spyOn(tf.engine(), 'setBackend');
    try {
      const {model: sparse, report} = await sparsifyModel(model, {density: 1, blockSize: 8, onlyFaster: true, timeOn: 'wasm'});
      // conv and hidden are timed (logits' 10 outputs take no 8x8 blocks), each on wasm, cpu restored after.
      const timed = report.layers.filter(l => l.speedup != null);
      expect(timed.map(l => l.name)).toEqual(['conv', 'hidden']);
      expect(setBackend.mock.calls.map(([name]) => name)).toEqual(['wasm', 'cpu', 'wasm', 'cpu']);
      expect(tf.getBackend()).toBe('cpu');
      for (const layer of timed.filter(l => !l.converted)) {
        expect(layer.reason).toMatch(/^not faster block-sparse on wasm at batch 1/);
      }
      const x = tf.randomNormal([4, 8, 8, 8], 0, 1, 'float32', 104);
      expect(maxDiff(sparse.predict(x), model.predict(x))).toBeLessThan(1e-4);
    } finally {
      setBackend.mockRestore();
    }
  });

  test('timeOn needs onlyFaster and a registered backend, and says so', async () => {
    await expect(sparsifyModel(convNet(), {density: 0.5, blockSize: 8, timeOn: 'wasm'}))
        .rejects.toThrow('sparsifyModel: timeOn \'wasm\' times layers for onlyFaster, which is not set');
    await expect(sparsifyModel(convNet(), {density: 0.5, blockSize: 8, onlyFaster: true, timeOn: 'webgl'}))
        .rejects.toThrow(/^sparsifyModel: timeOn 'webgl' is not a registered tfjs backend \(registered: .*cpu.*\)$/);
  });

  test('at density 1/4 equals the dense model with the dropped blocks zeroed, and reports it', async () => {
    const model = convNet();
    const {model: sparse, report} = await sparsifyModel(model, {density: 0.25, blockSize: 8, exclude: /logits/});
    const reference = convNet();
    reference.setWeights(model.getWeights());
    for (const name of ['conv', 'hidden']) {
      const layout = (sparse.getLayer(name) as BlockSparseDense | BlockSparseConv2D).layout as BlockLayout;
      const [kernel, bias] = reference.getLayer(name).getWeights();
      reference.getLayer(name).setWeights([densify(sparsify(kernel, layout), layout), bias]);
    }
    const x = tf.randomNormal([4, 8, 8, 8], 0, 1, 'float32', 103);
    expect(maxDiff(sparse.predict(x), reference.predict(x))).toBeLessThan(1e-4);
    const hidden = report.layers.find(l => l.name === 'hidden')!;
    expect(hidden).toMatchObject({
      converted: true,
      kernelShape: [1024, 32],
      blocksKept: 128,
      blocksTotal: 512,
      density: 0.25,
      paramsBefore: 1024 * 32 + 32,
      paramsAfter: 128 * 64 + 32
    });
    // Magnitude keeps the largest blocks: more than a quarter of the norm.
    expect(hidden.normKept).toBeGreaterThan(0.5);
    expect(report.layers.find(l => l.name === 'logits')).toMatchObject({converted: false, reason: 'matched by exclude'});
    expect(report.model.paramsAfter).toBe(sparse.countParams());
    // The configs say how the layouts were made, and survive a save and load.
    expect((sparse.getLayer('hidden').getConfig() as {layoutKind: string}).layoutKind).toBe('magnitude');
    const {model: random} = await sparsifyModel(convNet(), {density: 0.25, blockSize: 8, layout: 'random'});
    expect((random.getLayer('hidden').getConfig() as {layoutKind: string}).layoutKind).toBe('random');
  });

  test('functional and nested models convert; layers the block size does not fit stay dense with a reason', async () => {
    const inner = tf.sequential({name: 'inner', layers: [tf.layers.dense({inputShape: [16], units: 16, name: 'inner_dense'})]});
    const input = tf.input({shape: [16]});
    const a = tf.layers.dense({units: 16, name: 'a'}).apply(input) as tf.SymbolicTensor;
    const b = inner.apply(a) as tf.SymbolicTensor;
    const odd = tf.layers.dense({units: 6, name: 'odd'}).apply(b) as tf.SymbolicTensor;
    const model = tf.model({inputs: input, outputs: odd});
    const {model: sparse, report} = await sparsifyModel(model, {density: 1, blockSize: 4});
    expect(report.layers.map(l => [l.name, l.converted, l.reason])).toEqual([
      ['a', true, undefined], ['inner_dense', true, undefined], ['odd', false, 'block size 4 does not divide the kernel\'s 16 x 6']
    ]);
    const x = tf.randomNormal([3, 16], 0, 1, 'float32', 104);
    expect(maxDiff(sparse.predict(x), model.predict(x))).toBeLessThan(1e-5);
  });

  test('a trained classifier pruned to density 1/4 and fine-tuned recovers its accuracy', async () => {
    // Four Gaussian classes in 64 dimensions, seeded.
    const centers = tf.randomNormal([4, 64], 0, 1, 'float32', 11);
    const makeData = (n: number, seed: number) => {
      const labels = tf.tensor1d(Array.from({length: n}, (_, i) => i % 4), 'int32');
      const x = tf.add(tf.gather(centers, labels), tf.randomNormal([n, 64], 0, 1.5, 'float32', seed));
      return {x, labels, y: tf.oneHot(labels, 4)};
    };
    const train = makeData(512, 12);
    const test = makeData(256, 13);
    const model = tf.sequential({
      layers: [
        tf.layers.dense({inputShape: [64], units: 64, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({seed: 1})}),
        tf.layers.dense({units: 4, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({seed: 2})})
      ]
    });
    model.compile({optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy'});
    await model.fit(train.x, train.y, {epochs: 15, batchSize: 32, verbose: 0, shuffle: false});
    const denseAccuracy = await accuracy(model, test.x, test.labels);
    const {model: sparse} = await sparsifyModel(model, {density: 0.25, blockSize: 8, include: /^dense_Dense\d+$/});
    const prunedAccuracy = await accuracy(sparse, test.x, test.labels);
    sparse.compile({optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy'});
    await sparse.fit(train.x, train.y, {epochs: 10, batchSize: 32, verbose: 0, shuffle: false});
    const sparseAccuracy = await accuracy(sparse, test.x, test.labels);
    // Measured here (cpu): dense 0.996, pruned to 1/4 by block magnitude 0.930, after 10 epochs of fine-tuning 0.980.
    expect(denseAccuracy).toBeGreaterThan(0.95);
    expect(prunedAccuracy).toBeLessThan(denseAccuracy);
    expect(sparseAccuracy).toBeGreaterThan(denseAccuracy - 0.05);
  });

  test('a density that would keep no block of a layer leaves it dense and says so; per-layer densities apply by name', async () => {
    const {report} = await sparsifyModel(convNet(), {density: 0.001, blockSize: 8, densities: {hidden: 0.5}});
    expect(report.layers.map(l => [l.name, l.converted, l.reason ?? l.density])).toEqual([
      ['conv', false, 'density 0.001 keeps no block of its 2'], ['hidden', true, 0.5],
      ['logits', false, 'block size 8 does not divide the kernel\'s 32 x 10']
    ]);
    await expect(sparsifyModel(convNet(), {density: 0.5, blockSize: 8, densities: {hidden: 2}}))
        .rejects.toThrow(/densities\['hidden'\] must be in \(0, 1\], got 2/);
  });

  test('bad options name the problem', async () => {
    const model = convNet();
    await expect(sparsifyModel(model, {density: 0, blockSize: 8})).rejects.toThrow(/density must be in \(0, 1\], got 0/);
    await expect(sparsifyModel(model, {density: 0.5, blockSize: 2.5})).rejects.toThrow(/blockSize must be a positive integer, got 2.5/);
    await expect(sparsifyModel(model, {density: 0.5, blockSize: 8, layout: 'ring' as 'random'}))
        .rejects.toThrow(/layout must be one of magnitude, random, smallWorld, got 'ring'/);
  });
});
