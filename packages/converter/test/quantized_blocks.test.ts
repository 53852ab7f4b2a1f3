import '@tfjs-blocksparse/backend-cpu';

import * as tf from '@tensorflow/tfjs';
import {float16Blocks, int8Blocks, sparsifyModel} from '@tfjs-blocksparse/converter';

import {artifactsOf} from '../src/model_artifacts';

import {GraphFixture, seeded} from './graph_fixture';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Largest |a − b| over the largest |b|, over several outputs. */
function relativeError(actual: tf.Tensor[], expected: tf.Tensor[]): number {
  return Math.max(...actual.map(
      (a, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, expected[i]))).dataSync()[0] / tf.max(tf.abs(expected[i])).dataSync()[0])));
}

/** The bytes of a model's weights as save() writes them (one buffer). */
async function weightBytes(model: tf.LayersModel|tf.GraphModel): Promise<number> {
  return ((await artifactsOf(model)).weightData as ArrayBuffer).byteLength;
}

describe('int8Blocks', () => {
  test('graph model: block-sparse nodes hold int8 blocks and scales (fused bias, prelu slopes after them), outputs within 2%', async () => {
    const g = new GraphFixture();
    const x = g.placeholder('x', [-1, 32]);
    const img = g.placeholder('img', [-1, 8, 8, 16]);
    g.fusedMatMul('fc', x, g.constant('w', seeded([32, 64], 1)), [g.constant('b', seeded([64], 2))], ['BiasAdd', 'Relu']);
    g.conv2d('conv', img, g.constant('f', seeded([3, 3, 16, 32], 3)), {strides: 2});
    g.conv2d(
        'prelu', img, g.constant('f2', seeded([1, 1, 16, 16], 4)),
        {fused: {args: [g.constant('b2', seeded([16], 5)), g.constant('a2', seeded([16], 6))], ops: ['BiasAdd', 'Prelu']}});
    const {model: sparse} = await sparsifyModel(await g.load(), {density: 0.5, blockSize: 8});
    const {model: int8, report} = await int8Blocks(sparse);
    expect(report.layers.sort()).toEqual(['conv', 'fc', 'prelu']);
    const feeds = {x: seeded([3, 32], 7), img: seeded([2, 8, 8, 16], 8)};
    const outputs = ['fc', 'conv', 'prelu'];
    const error = relativeError(int8.execute(feeds, outputs) as tf.Tensor[], sparse.execute(feeds, outputs) as tf.Tensor[]);
    expect(error).toBeGreaterThan(0);
    expect(error).toBeLessThan(0.02);
    // Kernels of 4-byte floats become a byte each plus a scale per output channel.
    expect(report.bytesAfter).toBe(report.bytesBefore / 4 + 4 * (64 + 32 + 16));
    expect(await weightBytes(sparse) - await weightBytes(int8)).toBe(report.bytesBefore - report.bytesAfter);
    const nodes = ((await artifactsOf(int8)).modelTopology as {node: Array<{name: string, input?: string[]}>}).node;
    expect(nodes.find(n => n.name === 'prelu')!.input!.slice(3)).toEqual(['prelu/block_sparse_scales', 'b2', 'a2']);
    // Converted again, nothing changes.
    expect((await int8Blocks(int8)).report.layers).toEqual([]);
  });

  test('Layers model: BlockSparseDense and BlockSparseConv2D get kernelDtype int8, outputs within 2%, and save and load', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [8, 8, 16],
          filters: 32,
          kernelSize: 3,
          activation: 'relu',
          kernelInitializer: tf.initializers.glorotNormal({seed: 1})
        }),
        tf.layers.flatten(), tf.layers.dense({units: 16, kernelInitializer: tf.initializers.glorotNormal({seed: 2})})
      ]
    });
    const {model: sparse} = await sparsifyModel(model, {density: 0.5, blockSize: 8});
    const {model: int8, report} = await int8Blocks(sparse);
    expect(report.layers.length).toBe(2);
    expect(int8.layers.map(l => l.getConfig().kernelDtype)).toEqual(['int8', undefined, 'int8']);
    const x = seeded([2, 8, 8, 16], 3);
    const expected = sparse.predict(x) as tf.Tensor;
    const actual = int8.predict(x) as tf.Tensor;
    const error = relativeError([actual], [expected]);
    expect(error).toBeGreaterThan(0);
    expect(error).toBeLessThan(0.02);
    expect(await weightBytes(sparse) - await weightBytes(int8)).toBe(report.bytesBefore - report.bytesAfter);
    const reloaded = await tf.loadLayersModel(tf.io.fromMemory(await artifactsOf(int8)));
    expect(Array.from((reloaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from(actual.dataSync()));
  });
});

describe('float16Blocks', () => {
  test('graph model: block-sparse nodes hold float16 blocks (no scales), half the bytes, outputs within float16 rounding', async () => {
    const g = new GraphFixture();
    const x = g.placeholder('x', [-1, 32]);
    const img = g.placeholder('img', [-1, 8, 8, 16]);
    g.fusedMatMul('fc', x, g.constant('w', seeded([32, 64], 1)), [g.constant('b', seeded([64], 2))], ['BiasAdd', 'Relu']);
    g.conv2d(
        'prelu', img, g.constant('f2', seeded([3, 3, 16, 16], 4)),
        {fused: {args: [g.constant('b2', seeded([16], 5)), g.constant('a2', seeded([16], 6))], ops: ['BiasAdd', 'Prelu']}});
    const {model: sparse} = await sparsifyModel(await g.load(), {density: 0.5, blockSize: 8});
    const {model: half, report} = await float16Blocks(sparse);
    expect(report.layers.sort()).toEqual(['fc', 'prelu']);
    const feeds = {x: seeded([3, 32], 7), img: seeded([2, 8, 8, 16], 8)};
    const outputs = ['fc', 'prelu'];
    const error = relativeError(half.execute(feeds, outputs) as tf.Tensor[], sparse.execute(feeds, outputs) as tf.Tensor[]);
    expect(error).toBeGreaterThan(0);
    expect(error).toBeLessThan(1e-3);
    expect(report.bytesAfter).toBe(report.bytesBefore / 2);
    expect(await weightBytes(sparse) - await weightBytes(half)).toBe(report.bytesBefore - report.bytesAfter);
    const nodes = ((await artifactsOf(half)).modelTopology as {node: Array<{name: string, input?: string[]}>}).node;
    expect(nodes.find(n => n.name === 'prelu')!.input!.slice(3)).toEqual(['b2', 'a2']);
    expect((await float16Blocks(half)).report.layers).toEqual([]);
    expect((await int8Blocks(half)).report.layers).toEqual([]);
  });

  test('Layers model: kernelDtype float16, outputs within float16 rounding, and save and load', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({inputShape: [8, 8, 16], filters: 32, kernelSize: 3, kernelInitializer: tf.initializers.glorotNormal({seed: 1})}),
        tf.layers.flatten(), tf.layers.dense({units: 16, activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({seed: 2})})
      ]
    });
    const {model: sparse} = await sparsifyModel(model, {density: 0.5, blockSize: 8});
    const {model: half, report} = await float16Blocks(sparse);
    expect(half.layers.map(l => l.getConfig().kernelDtype)).toEqual(['float16', undefined, 'float16']);
    expect(report.bytesAfter).toBe(report.bytesBefore / 2);
    const x = seeded([2, 8, 8, 16], 3);
    const actual = half.predict(x) as tf.Tensor;
    const error = relativeError([actual], [sparse.predict(x) as tf.Tensor]);
    expect(error).toBeGreaterThan(0);
    expect(error).toBeLessThan(1e-3);
    const reloaded = await tf.loadLayersModel(tf.io.fromMemory(await artifactsOf(half)));
    expect(Array.from((reloaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from(actual.dataSync()));
  });
});
