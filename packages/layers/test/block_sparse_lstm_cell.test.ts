import '@tfjs-blocksparse/backend-cpu';

import * as tf from '@tensorflow/tfjs';
import {densify} from '@tfjs-blocksparse/core';
import {BlockSparseLSTMCell, blockSparseLSTMCell} from '@tfjs-blocksparse/layers';

import {roundTrip, values} from './round_trip';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
}

describe('BlockSparseLSTMCell', () => {
  // tf.layers.lstmCell's defaults (tanh, hardSigmoid) and sigmoid run the gates as one lstmGates kernel; relu, op by op.
  test.each([
    [{}, true],
    [{recurrentActivation: 'sigmoid' as const}, true],
    [{activation: 'relu' as const}, false],
  ])('in tf.layers.rnn equals tf.layers.lstmCell with the densified kernels (%j; gates fused: %s)', async (activations, fused) => {
    const cell = blockSparseLSTMCell({units: 16, blockSize: 4, density: 0.5, seed: 2, ...activations});
    const sparse = tf.layers.rnn({cell, returnSequences: true});
    const x = tf.randomNormal([3, 5, 8], 0, 1, 'float32', 1);
    const y = sparse.apply(x) as tf.Tensor;
    const [kernel, recurrentKernel, bias] = cell.getWeights();
    const dense = tf.layers.rnn({cell: tf.layers.lstmCell({units: 16, ...activations}), returnSequences: true});
    dense.apply(x);
    dense.setWeights([densify(kernel, cell.layouts.kernel), densify(recurrentKernel, cell.layouts.recurrentKernel), bias]);
    expect(maxDiff(y, dense.apply(x) as tf.Tensor)).toBeLessThan(1e-5);
    expect(Array.from(bias.slice([16], [16]).dataSync())).toEqual(new Array(16).fill(1));
    const state = [tf.zeros([3, 16]), tf.zeros([3, 16])];
    const kernels = (await tf.profile(() => cell.call([tf.zeros([3, 8]), ...state]))).kernels.map(k => k.name);
    expect(kernels.includes('LSTMGates')).toBe(fused);
    if (fused) {
      // The bias is added in the recurrent product: the step's one Add sums the two products.
      expect(kernels.filter(k => k === 'Add').length).toBe(1);
    }
  });

  test('the multiplicative cell computes m = (x·Wmx) ⊙ (h·Wmh) and feeds it to the gates', () => {
    const cell = blockSparseLSTMCell({units: 8, blockSize: 4, density: 0.5, multiplicative: true, recurrentActivation: 'sigmoid'});
    const x = tf.randomNormal([2, 12], 0, 1, 'float32', 3);
    const h = tf.randomNormal([2, 8], 0, 1, 'float32', 4);
    const c = tf.randomNormal([2, 8], 0, 1, 'float32', 5);
    cell.build([null, 12]);
    const [hNext, , cNext] = cell.call([x, h, c]);
    const w = Object.fromEntries(['kernel', 'recurrentKernel', 'multKernel', 'multRecurrentKernel'].map(
        (name, i) => [name, densify(cell.getWeights()[i], cell.layouts[name]) as tf.Tensor2D]));
    const bias = cell.getWeights()[4];
    const m = tf.mul(tf.matMul(x, w.multKernel), tf.matMul(h, w.multRecurrentKernel));
    const z = tf.add(tf.add(tf.matMul(x, w.kernel), tf.matMul(m, w.recurrentKernel)), bias);
    const [i, f, g, o] = tf.split(z, 4, -1);
    const cRef = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
    expect(maxDiff(cNext, cRef)).toBeLessThan(1e-5);
    expect(maxDiff(hNext, tf.mul(tf.sigmoid(o), tf.tanh(cRef)))).toBeLessThan(1e-5);
  });

  test('an mLSTM model trains with fit and reloads with identical predictions', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.rnn({
          inputShape: [6, 8],
          cell: blockSparseLSTMCell({units: 16, blockSize: 4, density: 0.5, multiplicative: true, layoutKind: 'smallWorld'})
        }),
        tf.layers.dense({units: 1, activation: 'sigmoid'})
      ]
    });
    model.compile({optimizer: tf.train.adam(0.02), loss: 'binaryCrossentropy'});
    const x = tf.randomNormal([32, 6, 8], 0, 1, 'float32', 7);
    const y = tf.cast(tf.greater(tf.sum(x, [1, 2]), 0), 'float32').reshape([32, 1]);
    const history = await model.fit(x, y, {epochs: 25, batchSize: 8, verbose: 0});
    const loss = history.history.loss as number[];
    expect(loss[loss.length - 1]).toBeLessThan(0.7 * loss[0]);
    const loaded = await roundTrip(model);
    const cell = (loaded.layers[0] as unknown as {cell: BlockSparseLSTMCell}).cell;
    expect(cell).toBeInstanceOf(BlockSparseLSTMCell);
    expect(cell.multiplicative).toBe(true);
    expect(values(loaded.predict(x))).toEqual(values(model.predict(x)));
  });

  test('inputDensity sets the input kernels\' density apart from the recurrent ones, and survives save and load', async () => {
    const cell =
        blockSparseLSTMCell({units: 32, blockSize: 8, density: 0.125, inputDensity: 1, multiplicative: true, layoutKind: 'smallWorld'});
    const model = tf.sequential({layers: [tf.layers.rnn({inputShape: [3, 8], cell})]});
    const densities = (c: BlockSparseLSTMCell) => Object.fromEntries(Object.entries(c.layouts).map(([name, l]) => [name, l.density]));
    expect(densities(cell)).toEqual({kernel: 1, recurrentKernel: 0.125, multKernel: 1, multRecurrentKernel: 0.125});
    const loaded = await roundTrip(model);
    expect(densities((loaded.layers[0] as unknown as {cell: BlockSparseLSTMCell}).cell)).toEqual(densities(cell));
    expect(() => blockSparseLSTMCell({units: 8, blockSize: 4, inputDensity: 0})).toThrow(/inputDensity must be in \(0, 1\], got 0/);
  });

  test('units that the block size does not divide are refused clearly', () => {
    expect(() => blockSparseLSTMCell({units: 10, blockSize: 4})).toThrow(/units \(10\) must be a multiple of blockSize \(4\)/);
    expect(() => blockSparseLSTMCell({units: 8, blockSize: 4, dropout: 0.2}))
        .toThrow(
            'BlockSparseLSTMCell: dropout and recurrentDropout are not supported (got 0.2 and 0); put a tf.layers.dropout before the RNN instead');
    expect(() => blockSparseLSTMCell({units: 8, blockSize: 4, recurrentDropout: 0.1})).toThrow(/not supported \(got 0 and 0.1\)/);
    expect(() => blockSparseLSTMCell({units: 8, blockSize: 4, dropout: 0, recurrentDropout: 0})).not.toThrow();
  });
});
