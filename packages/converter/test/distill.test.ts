import '@tfjs-blocksparse/backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tfjs-blocksparse/backend-wasm';

import * as tf from '@tensorflow/tfjs';
import {distill, sparsifyModel} from '@tfjs-blocksparse/converter';

import {registerMissingGradients} from '../src/missing_gradients';
import {artifactsOf} from '../src/model_artifacts';

import {GraphFixture, seeded} from './graph_fixture';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Inputs from 4 gaussian clusters in 32 dimensions, and their cluster. */
function clusters(n: number, seed: number): {x: tf.Tensor2D, y: tf.Tensor2D} {
  const centers = tf.randomNormal([4, 32], 0, 1, 'float32', 7);
  const label = tf.randomUniform([n], 0, 4, 'int32', seed);
  const x = tf.add(tf.gather(centers, label), tf.randomNormal([n, 32], 0, 0.8, 'float32', seed + 1)) as tf.Tensor2D;
  return {x, y: tf.oneHot(label, 4) as tf.Tensor2D};
}

describe('distill', () => {
  test('a classifier pruned to 1/8 regains agreement with its dense original from unlabelled inputs', async () => {
    const teacher = tf.sequential({
      layers: [
        tf.layers.dense({inputShape: [32], units: 64, activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({seed: 1})}),
        tf.layers.dense({units: 64, activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({seed: 2})}),
        tf.layers.dense({units: 4, activation: 'softmax', kernelInitializer: tf.initializers.glorotNormal({seed: 3})})
      ]
    });
    teacher.compile({optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy'});
    const {x, y} = clusters(512, 11);
    // No shuffling: the same teacher on every run (distill's own order is seeded).
    await teacher.fit(x, y, {epochs: 10, batchSize: 32, verbose: 0, shuffle: false});
    const {model: student} = await sparsifyModel(teacher, {density: 0.125, blockSize: 8, exclude: /dense_3/});
    const unlabelled = clusters(400, 21).x;
    const epochs: number[] = [];
    const before = tf.memory().numTensors;
    const {model, report} =
        await distill(teacher, student, {inputs: unlabelled, epochs: 25, learningRate: 0.003, onEpoch: e => epochs.push(e)});
    expect(model).toBe(student);
    expect(tf.memory().numTensors).toBe(before);
    expect(report.metric).toBe('top-1 agreement');
    expect(report).toMatchObject({trainInputs: 320, heldOutInputs: 80});
    expect(report.before).toBeLessThan(0.9);
    expect(report.after).toBeGreaterThan(Math.max(0.9, report.before + 0.15));
    expect(epochs[0]).toBe(1);
    expect(epochs.length).toBe(report.epochs);
  });

  test('a converted graph model\'s sparse weights and biases train as variables; the returned model saves them', async () => {
    const g = new GraphFixture();
    const x = g.placeholder('x', [-1, 32]);
    const hidden = g.fusedMatMul(
        'hidden', x, g.constant('w1', tf.mul(seeded([32, 64], 1), 0.3)), [g.constant('b1', seeded([64], 2))], ['BiasAdd', 'Relu']);
    g.matMul('out', hidden, g.constant('w2', tf.mul(seeded([64, 16], 3), 0.2)));
    const teacher = await g.load();
    const {model: student} = await sparsifyModel(teacher, {density: 0.25, blockSize: 8});
    const {model, report} = await distill(teacher, student, {inputs: seeded([256, 32], 4), epochs: 30, learningRate: 0.01});
    expect(model).not.toBe(student);
    expect(report.metric).toBe('relative error');
    expect(report.after).toBeLessThan(report.before * 0.8);
    // What save writes is what was trained.
    const reloaded = await tf.loadGraphModel(tf.io.fromMemory(await artifactsOf(model)));
    const probe = seeded([8, 32], 5);
    expect(tf.max(tf.abs(tf.sub(reloaded.predict(probe) as tf.Tensor, model.predict(probe) as tf.Tensor))).dataSync()[0]).toBe(0);
  });

  test('when no epoch betters the held-out loss, the converted weights are kept as they were, and the report says so', async () => {
    const teacher = tf.sequential({
      layers: [
        tf.layers.dense({inputShape: [16], units: 16, activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({seed: 61})}),
        tf.layers.dense({units: 4, activation: 'softmax', kernelInitializer: tf.initializers.glorotNormal({seed: 62})})
      ]
    });
    // At density 1 the student computes what the teacher does: nothing is left to gain.
    const {model: student} = await sparsifyModel(teacher, {density: 1, blockSize: 8});
    const before = student.getWeights().map(w => Array.from(w.dataSync()));
    const {model, report} = await distill(teacher, student, {inputs: seeded([64, 16], 63), epochs: 2, learningRate: 0.05});
    expect(report.keptConverted).toBe(true);
    expect(model.getWeights().map(w => Array.from(w.dataSync()))).toEqual(before);
  });

  test('layers the model marks frozen stay as they are, as model.fit leaves them', async () => {
    const teacher = tf.sequential({
      layers: [
        tf.layers.dense({inputShape: [16], units: 16, activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({seed: 81})}),
        tf.layers.dense({units: 4, activation: 'softmax', kernelInitializer: tf.initializers.glorotNormal({seed: 82})})
      ]
    });
    // As nsfwjs's MobileNetV2, fine-tuned with its first blocks frozen: the flag is in the model it publishes.
    teacher.layers[0].trainable = false;
    const {model: student} = await sparsifyModel(teacher, {density: 0.5, blockSize: 8});
    expect(student.layers.map(l => l.trainable)).toEqual([false, true]);
    const kernel = Array.from(student.layers[0].getWeights()[0].dataSync());
    const head = Array.from(student.layers[1].getWeights()[0].dataSync());
    const {report} = await distill(teacher, student, {inputs: seeded([64, 16], 83), epochs: 2, learningRate: 0.01});
    expect(report.keptConverted).toBe(false);
    expect(Array.from(student.layers[0].getWeights()[0].dataSync())).toEqual(kernel);
    expect(Array.from(student.layers[1].getWeights()[0].dataSync())).not.toEqual(head);
  });

  test('the same seed gives the same student; another seed visits the inputs in another order', async () => {
    const make = (seed: number) => tf.sequential({
      layers: [
        tf.layers.dense({inputShape: [16], units: 16, kernelInitializer: tf.initializers.glorotNormal({seed})}),
        tf.layers.dense({units: 4, activation: 'softmax', kernelInitializer: tf.initializers.glorotNormal({seed: seed + 1})})
      ]
    });
    const teacher = make(1);
    const inputs = seeded([256, 16], 3);
    const trained = async (seed: number) => {
      // A student that starts far from the teacher, so that every epoch improves it.
      const {model: student} = await sparsifyModel(make(10), {density: 0.5, blockSize: 8});
      const {report} = await distill(teacher, student, {inputs, epochs: 2, batchSize: 16, learningRate: 0.01, seed});
      expect(report.lossAfter).toBeLessThan(report.lossBefore);
      return student.getWeights()[0].dataSync();
    };
    const [first, again, other] = [await trained(5), await trained(5), await trained(6)];
    expect(Array.from(again)).toEqual(Array.from(first));
    expect(Array.from(other)).not.toEqual(Array.from(first));
  });

  test('a seeded random fifth of the inputs is held out, not the last rows (a folder\'s inputs come sorted by name)', async () => {
    const teacher = tf.sequential({layers: [tf.layers.dense({inputShape: [4], units: 4, activation: 'softmax'})]});
    const {model: student} = await sparsifyModel(teacher, {density: 1, blockSize: 4});
    // Each input row carries its index, so the rows the teacher is asked about tell the split apart.
    const inputs = tf.tile(tf.reshape(tf.range(0, 100, 1, 'float32'), [100, 1]), [1, 4]);
    const heldOut = async (seed: number) => {
      const predict = teacher.predict.bind(teacher);
      // The training rows' targets are predicted first, then the held-out rows'.
      const rows: number[] = [];
      const spy = jest.spyOn(teacher, 'predict').mockImplementation((x, args) => {
        rows.push(...Array.from((x as tf.Tensor).slice([0, 0], [-1, 1]).dataSync()));
        return predict(x, args);
      });
      await distill(teacher, student, {inputs, epochs: 0, batchSize: 16, seed});
      spy.mockRestore();
      expect([...rows].sort((a, b) => a - b)).toEqual(Array.from({length: 100}, (_, i) => i));
      return rows.slice(80);
    };
    const held = await heldOut(0);
    expect(held.length).toBe(20);
    expect(Math.min(...held)).toBeLessThan(40);
    expect(Math.max(...held)).toBeGreaterThanOrEqual(60);
    expect(await heldOut(0)).toEqual(held);
    expect(await heldOut(1)).not.toEqual(held);
  });

  test('a MobileNet-style model (dense first conv, depthwise conv, sparse pointwise conv) distills on wasm', async () => {
    // Its backward pass needs the dense conv gradients that tfjs-backend-wasm lacks; backend-wasm registers them.
    const init = (seed: number) => tf.initializers.glorotNormal({seed});
    const teacher = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [12, 12, 3],
          filters: 8,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: init(71)
        }),
        tf.layers.depthwiseConv2d({kernelSize: 3, padding: 'same', activation: 'relu', depthwiseInitializer: init(72)}),
        tf.layers.conv2d({filters: 16, kernelSize: 1, activation: 'relu', kernelInitializer: init(73)}),
        tf.layers.globalAveragePooling2d({}), tf.layers.dense({units: 4, activation: 'softmax', kernelInitializer: init(74)})
      ]
    });
    await tf.setBackend('wasm');
    try {
      const {model: student, report: conversion} = await sparsifyModel(teacher, {density: 0.5, blockSize: 8, exclude: /dense/});
      expect(conversion.totals.converted).toBe(1);
      const firstConv = student.layers[0].getWeights()[0].dataSync().slice();
      const depthwise = student.layers[1].getWeights()[0].dataSync().slice();
      const {report} = await distill(teacher, student, {inputs: seeded([48, 12, 12, 3], 75), epochs: 3, batchSize: 8, learningRate: 0.01});
      expect(tf.getBackend()).toBe('wasm');
      expect(report.lossAfter).toBeLessThan(report.lossBefore);
      expect(student.layers[0].getWeights()[0].dataSync()).not.toEqual(firstConv);
      expect(student.layers[1].getWeights()[0].dataSync()).not.toEqual(depthwise);
    } finally {
      await tf.setBackend('cpu');
    }
  });

  test('the gradients distill registers: GatherNd (which tfjs lacks) and SquaredDifference over broadcast axes', () => {
    registerMissingGradients();
    const params = seeded([4, 3], 21);
    const indices = tf.tensor2d([[1], [3], [1]], [3, 1], 'int32');
    const weights = seeded([3, 3], 22);
    const dParams = tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.gatherND(p, indices), weights)))(params);
    // Row 1 was gathered twice: its gradient sums both.
    const [w0, w1, w2] = tf.unstack(weights);
    const expected = tf.stack([tf.zeros([3]), tf.add(w0, w2), tf.zeros([3]), w1]);
    expect(tf.max(tf.abs(tf.sub(dParams, expected))).dataSync()[0]).toBeLessThan(1e-6);
    const [a, b] = [seeded([2, 5, 3], 23), seeded([1, 3], 24)];
    const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.squaredDifference(x, y)))([a, b]);
    expect([da.shape, db.shape]).toEqual([[2, 5, 3], [1, 3]]);
    const dbExpected = tf.sum(tf.mul(2, tf.sub(b, a)), [0, 1]);
    expect(tf.max(tf.abs(tf.sub(tf.reshape(db, [3]), dbExpected))).dataSync()[0]).toBeLessThan(1e-5);
  });

  test('bad inputs, several outputs, a batch size the graph does not take and nothing to train are refused clearly', async () => {
    const teacher = tf.sequential({layers: [tf.layers.dense({inputShape: [4], units: 2})]});
    await expect(distill(teacher, teacher, {inputs: tf.ones([1, 4])})).rejects.toThrow(/inputs must be a tensor of at least 2 examples/);
    await expect(distill(teacher, teacher, {inputs: tf.ones([8, 4]), heldOut: 1})).rejects.toThrow(/need 0 < heldOut < 1/);
    const g = new GraphFixture();
    g.matMul('out', g.placeholder('x', [-1, 8]), g.constant('w', seeded([8, 8], 1)));
    const dense = await g.load();
    await expect(distill(dense, dense, {inputs: tf.ones([8, 8])})).rejects.toThrow(/no block-sparse nodes to train \(convert it first\)/);
    const input = tf.input({shape: [4]});
    const twoOutputs = tf.model({
      inputs: input,
      outputs: [tf.layers.dense({units: 2}).apply(input), tf.layers.dense({units: 3}).apply(input)] as tf.SymbolicTensor[]
    });
    await expect(distill(twoOutputs, twoOutputs, {
      inputs: tf.ones([8, 4])
    })).rejects.toThrow('distill: the model has 2 outputs; distill takes models with one');
    const one = new GraphFixture();
    // int32 pixels cast to float, as MoveNet's input.
    const pixels =
        one.op('pixels', 'Cast', [one.placeholder('x', [1, 16], 'DT_INT32')], {SrcT: {type: 'DT_INT32'}, DstT: {type: 'DT_FLOAT'}});
    one.matMul('out', pixels, one.constant('w', seeded([16, 16], 2)));
    const batchOfOne = await one.load();
    await expect(distill(batchOfOne, batchOfOne, {inputs: tf.ones([8, 16]), batchSize: 4}))
        .rejects.toThrow('distill: the model takes batches of exactly 1 (input shape [1,16]); give batchSize 1, got 4');
    // Without a batch size, such a graph trains a row at a time, its float inputs cast to what it takes.
    const {model: sparse} = await sparsifyModel(batchOfOne, {density: 0.5, blockSize: 8});
    const {report} = await distill(batchOfOne, sparse, {inputs: tf.round(tf.mul(seeded([10, 16], 3), 50)), epochs: 1});
    expect([report.epochs, report.trainInputs]).toEqual([1, 8]);
  });
});
