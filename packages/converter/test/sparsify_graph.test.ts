import '@tfjs-blocksparse/backend-cpu';

import * as tf from '@tensorflow/tfjs';
import {densify, magnitudeLayout, sparsify} from '@tfjs-blocksparse/core';
import {formatReport, sparsifyModel} from '@tfjs-blocksparse/converter';
import {GRAPH_CONV2D_OP, GRAPH_MATMUL_OP} from '@tfjs-blocksparse/graph';

import {artifactsOf} from '../src/model_artifacts';

import {GraphFixture, seeded} from './graph_fixture';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The executable fixture: every convertible node kind, and two MatMuls that must stay dense. */
function convertibleGraph(weightOf: (name: string, w: tf.Tensor) => tf.Tensor = (_, w) => w) {
  const g = new GraphFixture();
  const w = (name: string, shape: number[], seed: number) => g.constant(name, weightOf(name, seeded(shape, seed)));
  const x = g.placeholder('x', [-1, 32]);
  const seq = g.placeholder('seq', [-1, 4, 16]);
  const img = g.placeholder('img', [-1, 8, 8, 16]);
  const other = g.placeholder('other', [16, 8]);
  const fc1 = g.fusedMatMul('fc1', x, w('w1', [32, 64], 1), [g.constant('b1', seeded([64], 2))], ['BiasAdd', 'Relu']);
  const fc2 = g.matMul('fc2', fc1, w('w2t', [16, 64], 3), {transposeB: true});
  g.op('batched', 'BatchMatMulV2', [seq, w('w3', [16, 8], 4)], {adj_x: {b: false}, adj_y: {b: false}});
  g.fusedMatMul(
      'leaky', fc2, w('w4', [16, 8], 5), [g.constant('b4', seeded([8], 6))], ['BiasAdd', 'LeakyRelu'], {leakyrelu_alpha: {f: 0.1}});
  g.matMul('constFirst', g.constant('c', seeded([3, 16], 7)), fc2, {transposeB: true});
  g.matMul('notConst', fc2, other);
  const conv1 = g.conv2d(
      'conv1', img, w('f1', [3, 3, 16, 32], 8),
      {strides: 2, fused: {args: [g.constant('bc1', seeded([32], 9))], ops: ['BiasAdd', 'Relu6']}});
  g.conv2d('conv2', conv1, w('f2', [1, 1, 32, 16], 10), {padding: 'VALID'});
  g.conv2d('conv3', img, w('f3', [3, 3, 16, 16], 11), {padding: 'EXPLICIT', explicit: [0, 0, 1, 1, 1, 1, 0, 0]});
  g.conv2d('dilated', img, w('f4', [3, 3, 16, 8], 12), {dilations: 2});
  g.conv2d(
      'prelu', img, w('f5', [1, 1, 16, 16], 13),
      {fused: {args: [g.constant('b5', seeded([16], 14)), g.constant('a5', seeded([16], 15))], ops: ['BiasAdd', 'Prelu']}});
  // Slopes that vary over the pixels too: the kernels take one per channel, so this prelu runs after the product.
  g.conv2d(
      'preluPixels', img, w('f7', [1, 1, 16, 16], 17),
      {fused: {args: [g.constant('b7', seeded([16], 18)), g.constant('a7', seeded([8, 8, 16], 19))], ops: ['BiasAdd', 'Prelu']}});
  g.conv2d('uneven', img, w('f6', [3, 3, 16, 8], 16), {padding: 'EXPLICIT', explicit: [0, 0, 1, 2, 1, 1, 0, 0]});
  return g;
}

const OUTPUTS =
    ['fc1', 'fc2', 'batched', 'leaky', 'constFirst', 'notConst', 'conv1', 'conv2', 'conv3', 'dilated', 'prelu', 'preluPixels', 'uneven'];
const CONVERTED = ['fc1', 'fc2', 'batched', 'leaky', 'conv1', 'conv2', 'conv3', 'dilated', 'prelu', 'preluPixels'];

function feeds(): tf.NamedTensorMap {
  return {x: seeded([2, 32], 20), seq: seeded([2, 4, 16], 21), img: seeded([2, 8, 8, 16], 22), other: seeded([16, 8], 23)};
}

async function nodesOf(model: tf.GraphModel): Promise<Array<{name: string, op: string}>> {
  return ((await artifactsOf(model)).modelTopology as {node: Array<{name: string, op: string}>}).node;
}

function maxRelativeError(actual: tf.Tensor[], expected: tf.Tensor[]): number {
  return Math.max(...actual.map(
      (a, i) =>
          tf.tidy(() => tf.max(tf.abs(tf.sub(a, expected[i]))).dataSync()[0] / Math.max(1e-6, tf.max(tf.abs(expected[i])).dataSync()[0]))));
}

describe('sparsifyModel on graph models', () => {
  test('at density 1 every convertible node becomes block-sparse and outputs equal the original\'s to 1e-5', async () => {
    const model = await convertibleGraph().load();
    const {model: sparse, report} = await sparsifyModel(model, {density: 1, blockSize: 8});
    expect(report.layers.filter(l => l.converted).map(l => l.name).sort()).toEqual([...CONVERTED].sort());
    const ops = Object.fromEntries((await nodesOf(sparse)).map(n => [n.name, n.op]));
    expect(ops).toMatchObject(
        {fc1: GRAPH_MATMUL_OP, batched: GRAPH_MATMUL_OP, conv1: GRAPH_CONV2D_OP, prelu: GRAPH_CONV2D_OP, constFirst: 'MatMul'});
    // The replaced dense weights are gone; the one a dense node still reads stays.
    expect(ops['w1']).toBeUndefined();
    expect(ops['c']).toBe('Const');
    const x = feeds();
    const expected = model.execute(x, OUTPUTS) as tf.Tensor[];
    const actual = sparse.execute(x, OUTPUTS) as tf.Tensor[];
    expect(actual.map(t => t.shape)).toEqual(expected.map(t => t.shape));
    expect(maxRelativeError(actual, expected)).toBeLessThan(1e-5);
  });

  test('onlyFaster converts exactly the nodes it timed faster block-sparse; outputs still equal the original\'s', async () => {
    const model = await convertibleGraph().load();
    const {model: sparse, report} = await sparsifyModel(model, {density: 1, blockSize: 8, onlyFaster: true});
    for (const name of CONVERTED) {
      const layer = report.layers.find(l => l.name === name)!;
      // Whichever way the timing went, the decision follows it and says so.
      if (layer.converted) {
        expect({name, speedup: layer.speedup! >= 1.1}).toEqual({name, speedup: true});
      } else {
        expect(layer.reason)
            .toMatch(/^not faster block-sparse on cpu at batch 1 \(\d+\.\d\dx of dense, under 1.1x: [\d.]+ ms against [\d.]+ ms\)$/);
      }
    }
    const x = feeds();
    expect(maxRelativeError(sparse.execute(x, OUTPUTS) as tf.Tensor[], model.execute(x, OUTPUTS) as tf.Tensor[])).toBeLessThan(1e-5);
  });

  test('onlyFaster needs input shapes it can time at, and says which input lacks one', async () => {
    const g = new GraphFixture();
    g.conv2d('conv', g.placeholder('img', [-1, -1, -1, 16]), g.constant('f', seeded([1, 1, 16, 16], 1)), {});
    await expect(sparsifyModel(await g.load(), {density: 0.5, blockSize: 8, onlyFaster: true}))
        .rejects.toThrow(
            'onlyFaster: the model\'s input img has shape [-1,-1,-1,16]; timing its layers needs every dimension but the batch fixed');
  });

  test(
      'ops that only transform a conv\'s or matmul\'s output join its epilogue: norm Mul and Add, Relu clipped to 6, Sigmoid', async () => {
        const g = new GraphFixture();
        const img = g.placeholder('img', [-1, 6, 6, 16]);
        const x = g.placeholder('x', [-1, 32]);
        // Conv2D, then its norm's shift as an Add and tf.clip_by_value(relu, 0, 6), as tensorflowjs_converter leaves Human's faceres.
        const conv = g.conv2d('conv', img, g.constant('f', seeded([1, 1, 16, 16], 1)), {});
        const shift = g.op('shift', 'AddV2', [conv, g.constant('beta', seeded([16], 2))]);
        const relu = g.op('relu', 'Relu', [shift]);
        const clipped = g.op('clip_min', 'Minimum', [relu, g.constant('six', tf.scalar(6))]);
        g.op('out1', 'Identity', [g.op('clip_max', 'Maximum', [clipped, g.constant('zero', tf.scalar(0))])]);
        g.op('out2', 'Identity', [g.op('sigmoid', 'Sigmoid', [
               g.op('bias', 'BiasAdd', [g.matMul('fc', x, g.constant('w', seeded([32, 16], 3))), g.constant('b', seeded([16], 4))])
             ])]);
        // A model output is never taken in.
        g.op('out3', 'Relu', [g.conv2d('last', img, g.constant('f3', seeded([1, 1, 16, 16], 9)), {})]);
        // A dense depthwise conv with its norm as Mul and Add, as Human's faceres has them: tfjs's fused depthwise op.
        const depthwise = g.conv2d('depthwise', img, g.constant('fd', seeded([3, 3, 16, 1], 10)), {});
        g.nodes[g.nodes.length - 1].op = 'DepthwiseConv2dNative';
        const scaled = g.op('dw_scale', 'Mul', [depthwise, g.constant('gamma', seeded([16], 11))]);
        g.op('out4', 'Identity', [g.op(
                                     'dw_relu6', 'Relu6', [g.op('dw_shift', 'AddV2', [scaled, g.constant('dw_beta', seeded([16], 12))])])]);
        // Read twice: this conv's Add stays.
        const twice = g.conv2d('twice', img, g.constant('f2', seeded([1, 1, 16, 16], 5)), {});
        g.op('both', 'AddV2', [g.op('twice_add', 'AddV2', [twice, g.constant('c2', seeded([16], 6))]), twice]);
        const model = await g.load();
        const {model: sparse, report} = await sparsifyModel(model, {density: 1, blockSize: 8});
        expect(report.folded).toEqual(['shift', 'relu', 'clip_min', 'clip_max', 'bias', 'sigmoid', 'dw_scale', 'dw_shift', 'dw_relu6']);
        expect((await nodesOf(sparse)).map(n => n.name)).toEqual(expect.arrayContaining(['twice_add', 'both']));
        expect((await nodesOf(sparse)).find(n => n.name === 'depthwise')!.op).toBe('FusedDepthwiseConv2dNative');
        const feeds = {img: seeded([2, 6, 6, 16], 7), x: seeded([2, 32], 8)};
        const outputs = ['out1', 'out2', 'both', 'out3', 'out4'];
        expect(sparse.outputs.map(o => o.name).sort()).toEqual(model.outputs.map(o => o.name).sort());
        expect(maxRelativeError(sparse.execute(feeds, outputs) as tf.Tensor[], model.execute(feeds, outputs) as tf.Tensor[]))
            .toBeLessThan(1e-5);
        expect(formatReport(report)).toContain('folded into the layers before them: 9 norm, bias and activation layers (graph: nodes)');
      });

  test('at density 1/2 equals the original graph with the dropped blocks zeroed', async () => {
    const blockSize = 8;
    const model = await convertibleGraph().load();
    const {model: sparse, report} = await sparsifyModel(model, {density: 0.5, blockSize});
    expect(report.layers.find(l => l.name === 'fc1')).toMatchObject({converted: true, blocksKept: 16, blocksTotal: 32});
    // The same blocks as the converter keeps: by magnitude of [K, N] (w2t is stored transposed).
    const masked = (name: string, w: tf.Tensor) => {
      if (name === 'f6') {
        return w;
      }
      const kernel = name === 'w2t' ? tf.transpose(w) : w;
      const layout = magnitudeLayout(kernel, blockSize, 0.5);
      const kept = densify(sparsify(kernel, layout), layout);
      return name === 'w2t' ? tf.transpose(kept) : kept;
    };
    const reference = await convertibleGraph(masked).load();
    const x = feeds();
    expect(maxRelativeError(sparse.execute(x, OUTPUTS) as tf.Tensor[], reference.execute(x, OUTPUTS) as tf.Tensor[])).toBeLessThan(1e-5);
  });

  test('a graph converted before is reported as block-sparse already, and converts nothing again', async () => {
    const {model: sparse} = await sparsifyModel(await convertibleGraph().load(), {density: 0.5, blockSize: 8});
    const {report} = await sparsifyModel(sparse, {density: 0.5, blockSize: 8});
    expect(report.totals.converted).toBe(0);
    expect(report.layers.filter(l => l.alreadySparse).map(l => l.name).sort()).toEqual([...CONVERTED].sort());
  });

  test('nodes that cannot be converted stay dense, each with its reason', async () => {
    const model = await convertibleGraph().load();
    const {report} = await sparsifyModel(model, {density: 0.5, blockSize: 8, exclude: /^dilated$/});
    const reasons = Object.fromEntries(report.layers.filter(l => !l.converted).map(l => [l.name, l.reason]));
    expect(reasons).toEqual({
      constFirst: 'the constant is the first operand (W·x): only x·W is converted',
      notConst: 'its weight is not a constant (it comes from a Placeholder node)',
      uneven: 'explicit padding [0,0,1,2,1,1,0,0] is not the same on every side',
      dilated: 'matched by exclude'
    });
  });

  test('control flow, NCHW, batch norm and batched weights stay dense with a reason', async () => {
    const g = new GraphFixture();
    const x = g.placeholder('x', [-1, 16]);
    const img = g.placeholder('img', [-1, 16, 8, 8]);
    const entered = g.op('loop/Enter', 'Enter', [x], {frame_name: {s: Buffer.from('loop').toString('base64')}});
    g.matMul('inLoop', entered, g.constant('w', seeded([16, 16], 1)));
    const exited = g.op('loop/Exit', 'Exit', [entered]);
    g.matMul('afterLoop', exited, g.constant('w2', seeded([16, 16], 2)));
    g.conv2d('nchw', img, g.constant('f', seeded([1, 1, 16, 16], 3)), {format: 'NCHW'});
    g.conv2d('batchNorm', x, g.constant('f2', seeded([1, 1, 16, 16], 4)), {fused: {args: ['w', 'w', 'w', 'w'], ops: ['FusedBatchNorm']}});
    g.op('batchedWeight', 'BatchMatMulV2', [x, g.constant('w3', seeded([2, 16, 16], 5))]);
    const {report} = await sparsifyModel(await g.load(), {density: 0.5, blockSize: 8});
    expect(Object.fromEntries(report.layers.map(l => [l.name, l.converted ? 'converted' : l.reason]))).toEqual({
      inLoop: 'inside control flow (a while loop or cond branch)',
      afterLoop: 'converted',
      nchw: 'data format NCHW (only NHWC is supported)',
      batchNorm: 'fused FusedBatchNorm (only BiasAdd and an activation are kept)',
      batchedWeight: 'its weight is rank 3 (only a [K, N] matrix is converted)'
    });
  });
});
