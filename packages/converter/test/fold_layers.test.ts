import '@tfjs-blocksparse/backend-cpu';

import * as tf from '@tensorflow/tfjs';
import {formatReport, sparsifyModel} from '@tfjs-blocksparse/converter';
import {FusedDepthwiseConv2D} from '@tfjs-blocksparse/layers';

import {foldBatchNorms} from '../src/fold_layers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Every weight of the model drawn (seeded), variances positive: norms that do change their input. */
function randomizeWeights(model: tf.LayersModel, seed: number) {
  model.setWeights(model.weights.map((w, i) => {
    const shape = w.shape as number[];
    return w.name.includes('moving_variance') ? tf.randomUniform(shape, 0.5, 2, 'float32', seed + i) :
                                                tf.randomNormal(shape, 0, 0.5, 'float32', seed + i);
  }));
}

/** MobileNetV2's pattern (conv, norm, ReLU 6; depthwise, norm, ReLU; a residual add) and what must not fold. */
function functionalNet(): tf.LayersModel {
  const input = tf.input({shape: [8, 8, 8]});
  const conv = tf.layers.conv2d({filters: 16, kernelSize: 1, useBias: false, name: 'expand'}).apply(input) as tf.SymbolicTensor;
  const bn1 = tf.layers.batchNormalization({name: 'expand_bn'}).apply(conv) as tf.SymbolicTensor;
  const relu1 = tf.layers.reLU({maxValue: 6, name: 'expand_relu'}).apply(bn1) as tf.SymbolicTensor;
  const dw =
      tf.layers.depthwiseConv2d({kernelSize: 3, padding: 'same', useBias: false, name: 'depthwise'}).apply(relu1) as tf.SymbolicTensor;
  const bn2 = tf.layers.batchNormalization({name: 'depthwise_bn'}).apply(dw) as tf.SymbolicTensor;
  const relu2 = tf.layers.activation({activation: 'relu', name: 'depthwise_relu'}).apply(bn2) as tf.SymbolicTensor;
  const project = tf.layers.conv2d({filters: 8, kernelSize: 1, name: 'project'}).apply(relu2) as tf.SymbolicTensor;
  const bn3 = tf.layers.batchNormalization({name: 'project_bn'}).apply(project) as tf.SymbolicTensor;
  const added = tf.layers.add({name: 'add'}).apply([bn3, input]) as tf.SymbolicTensor;
  // Read by two layers: this conv's norm cannot fold (the other reader wants the conv's own output).
  const shared = tf.layers.conv2d({filters: 8, kernelSize: 1, name: 'shared'}).apply(added) as tf.SymbolicTensor;
  const bn4 = tf.layers.batchNormalization({name: 'shared_bn'}).apply(shared) as tf.SymbolicTensor;
  const both = tf.layers.add({name: 'both'}).apply([bn4, shared]) as tf.SymbolicTensor;
  const flat = tf.layers.flatten({name: 'flatten'}).apply(both) as tf.SymbolicTensor;
  const dense = tf.layers.dense({units: 16, name: 'dense'}).apply(flat) as tf.SymbolicTensor;
  const bn5 = tf.layers.batchNormalization({name: 'dense_bn'}).apply(dense) as tf.SymbolicTensor;
  const out = tf.layers.activation({activation: 'sigmoid', name: 'dense_sigmoid'}).apply(bn5) as tf.SymbolicTensor;
  const model = tf.model({inputs: input, outputs: out});
  randomizeWeights(model, 1);
  return model;
}

function maxRelativeError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / tf.max(tf.abs(b)).dataSync()[0]);
}

describe('foldBatchNorms', () => {
  test('folds each norm into the Conv2D, DepthwiseConv2D or Dense layer it alone reads; outputs equal to 1e-5', async () => {
    const model = functionalNet();
    const {model: folded, folded: names} = await foldBatchNorms(model);
    // Not the shared conv's.
    expect(names).toEqual(['expand_bn', 'depthwise_bn', 'project_bn', 'dense_bn']);
    expect(folded.layers.map(l => l.name)).not.toContain('expand_bn');
    expect(folded.layers.map(l => l.name)).toEqual(expect.arrayContaining(['shared_bn', 'expand_relu']));
    // tfjs-layers adds a depthwise conv's bias as an op of its own: the folded one runs it in the conv's kernel.
    expect(folded.getLayer('depthwise')).toBeInstanceOf(FusedDepthwiseConv2D);
    expect(folded.getLayer('expand').getConfig()).toMatchObject({activation: 'linear', useBias: true});
    expect(folded.getLayer('dense').getConfig()).toMatchObject({activation: 'linear', useBias: true});
    const x = tf.randomNormal([3, 8, 8, 8], 0, 1, 'float32', 9);
    expect(maxRelativeError(folded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor)).toBeLessThan(1e-5);
  });

  test('folds Sequential models too, and leaves a model with nothing to fold as it was', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({inputShape: [16], units: 32, name: 'hidden'}), tf.layers.batchNormalization({name: 'hidden_bn'}),
        tf.layers.reLU({name: 'hidden_relu'}), tf.layers.dense({units: 8, name: 'logits'})
      ]
    });
    randomizeWeights(model, 2);
    const {model: folded, folded: names} = await foldBatchNorms(model);
    expect(names).toEqual(['hidden_bn']);
    expect(folded.layers.map(l => l.name)).toEqual(['hidden', 'hidden_relu', 'logits']);
    const x = tf.randomNormal([4, 16], 0, 1, 'float32', 3);
    expect(maxRelativeError(folded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor)).toBeLessThan(1e-5);
    const plain = tf.sequential({layers: [tf.layers.dense({inputShape: [16], units: 8})]});
    expect(await foldBatchNorms(plain)).toEqual({model: plain, folded: []});
  });

  test('sparsifyModel folds norms, and activations into block-sparse layers: at density 1 equal to the original', async () => {
    const model = functionalNet();
    const {model: sparse, report} = await sparsifyModel(model, {density: 1, blockSize: 8});
    expect(report.folded).toEqual([
      'expand_bn', 'depthwise_bn', 'project_bn', 'dense_bn', 'expand_relu', 'depthwise_relu', 'dense_sigmoid'
    ]);
    expect(sparse.getLayer('expand').getConfig()).toMatchObject({activation: 'relu6'});
    expect(sparse.getLayer('depthwise').getConfig()).toMatchObject({activation: 'relu'});
    expect(sparse.getLayer('dense').getConfig()).toMatchObject({activation: 'sigmoid'});
    expect(report.model.paramsBefore).toBe(model.countParams());
    expect(formatReport(report)).toContain('folded into the layers before them: 7 norm, bias and activation layers (graph: nodes)');
    const x = tf.randomNormal([3, 8, 8, 8], 0, 1, 'float32', 9);
    expect(maxRelativeError(sparse.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor)).toBeLessThan(1e-5);
    const {report: unfolded} = await sparsifyModel(model, {density: 1, blockSize: 8, foldBatchNorm: false});
    // The norms stay, between the converted layers and their activations: nothing folds.
    expect(unfolded.folded).toEqual([]);
  });
});
