import '@tfjs-blocksparse/backend-cpu';

import * as tf from '@tensorflow/tfjs';
import {blockNorms} from '@tfjs-blocksparse/core';
import {accuracy, GradualBlockPruning, scheduledDensity} from '@tfjs-blocksparse/converter';
import {BlockSparseDense} from '@tfjs-blocksparse/layers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

test('the schedule decays polynomially from 1 to the target between beginStep and endStep', () => {
  const args = {targetDensity: 0.25, blockSize: 8, beginStep: 10, endStep: 20};
  expect([0, 10, 15, 20, 30].map(s => scheduledDensity(s, args))).toEqual([1, 1, 0.25 + 0.75 / 8, 0.25, 0.25]);
});

test('pruning during model.fit ends in block-sparse layers with the surviving blocks', async () => {
  const centers = tf.randomNormal([4, 64], 0, 1, 'float32', 21);
  const labels = tf.tensor1d(Array.from({length: 512}, (_, i) => i % 4), 'int32');
  const x = tf.add(tf.gather(centers, labels), tf.randomNormal([512, 64], 0, 1.5, 'float32', 22));
  const model = tf.sequential({
    layers: [
      tf.layers.dense(
          {inputShape: [64], units: 64, activation: 'relu', name: 'hidden', kernelInitializer: tf.initializers.glorotUniform({seed: 3})}),
      tf.layers.dense({units: 4, activation: 'softmax', name: 'out', kernelInitializer: tf.initializers.glorotUniform({seed: 4})})
    ]
  });
  model.compile({optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy'});
  const pruning = new GradualBlockPruning({targetDensity: 0.25, blockSize: 8, beginStep: 16, endStep: 96, frequency: 8});
  await model.fit(x, tf.oneHot(labels, 4), {epochs: 8, batchSize: 32, verbose: 0, shuffle: false, callbacks: [pruning]});
  const norms = blockNorms(model.getLayer('hidden').getWeights()[0], 8);
  expect(norms.filter(n => n > 0).length).toBe(16);
  const prunedDense = await accuracy(model, x, labels);
  const {model: sparse, report} = await pruning.finish();
  expect(sparse.getLayer('hidden')).toBeInstanceOf(BlockSparseDense);
  expect(report.layers.find(l => l.name === 'hidden')!.normKept).toBeCloseTo(1, 5);
  expect(report.layers.find(l => l.name === 'out')).toMatchObject({converted: false});
  const diff = tf.max(tf.abs(tf.sub(sparse.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor))).dataSync()[0];
  expect(diff).toBeLessThan(1e-5);
  // Measured here (cpu): training accuracy 1.0 after pruning the hidden layer to density 1/4.
  expect(prunedDense).toBeGreaterThan(0.9);
});

test('between prunes (frequency > 1) the dropped blocks stay zero: kept blocks only ever shrink', async () => {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({inputShape: [32], units: 32, name: 'hidden', kernelInitializer: tf.initializers.glorotUniform({seed: 5})}),
      tf.layers.dense({units: 8, name: 'out', kernelInitializer: tf.initializers.glorotUniform({seed: 6})})
    ]
  });
  model.compile({optimizer: tf.train.adam(0.05), loss: 'meanSquaredError'});
  const pruning = new GradualBlockPruning({targetDensity: 0.25, blockSize: 8, beginStep: 2, endStep: 20, frequency: 5, include: /hidden/});
  // Blocks with any nonzero weight after each step (the callbacks run in order: pruning first).
  const nonzero: number[][] = [];
  const record = new tf.CustomCallback({
    onBatchEnd: async () => {
      nonzero.push(Array.from(blockNorms(model.getLayer('hidden').getWeights()[0], 8)).flatMap((n, i) => n > 0 ? [i] : []));
    }
  });
  const x = tf.randomNormal([96, 32], 0, 1, 'float32', 7);
  const y = tf.randomNormal([96, 8], 0, 1, 'float32', 8);
  await model.fit(x, y, {epochs: 8, batchSize: 8, verbose: 0, shuffle: false, callbacks: [pruning, record]});
  // Steps 1 and 2 (up to the first prune) are dense; from then on each step's blocks are among the step before's.
  for (let step = 2; step < nonzero.length; step++) {
    expect({step, grown: nonzero[step].filter(b => !nonzero[step - 1].includes(b))}).toEqual({step, grown: []});
  }
  expect(nonzero[nonzero.length - 1]).toHaveLength(4);
});

test('bad arguments name the problem', () => {
  expect(() => new GradualBlockPruning({targetDensity: 0, blockSize: 8, endStep: 10})).toThrow(/targetDensity must be in \(0, 1\], got 0/);
  expect(() => new GradualBlockPruning({targetDensity: 0.5, blockSize: 8, beginStep: 10, endStep: 10}))
      .toThrow(/endStep \(10\) must come after beginStep \(10\)/);
});
