import '@tfjs-blocksparse/backend-cpu';

import * as tf from '@tensorflow/tfjs';
import {BlockLayout, densify, randomLayout, seededRandom, shuffleInPlace, sparsify} from '@tfjs-blocksparse/core';
import {sparsifyModel} from '@tfjs-blocksparse/converter';
import {BlockSparseConv2D, BlockSparseDense} from '@tfjs-blocksparse/layers';

import {allocateBudget} from '../src/calibrate';
import {formatReport} from '../src/report';

import {GraphFixture, seeded} from './graph_fixture';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const init = (seed: number) =>
    ({kernelInitializer: tf.initializers.glorotNormal({seed}), biasInitializer: tf.initializers.randomNormal({seed: seed + 100})});

function convNet(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({inputShape: [8, 8, 16], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv', ...init(1)}),
      tf.layers.conv2d({filters: 16, kernelSize: 1, strides: 2, activation: 'relu', name: 'pointwise', ...init(2)}), tf.layers.flatten(),
      tf.layers.dense({units: 32, activation: 'relu', name: 'hidden', ...init(3)}), tf.layers.dense({units: 8, name: 'logits', ...init(4)})
    ]
  });
}

function relativeError(actual: tf.Tensor, expected: tf.Tensor): number {
  return tf.tidy(() => tf.norm(tf.sub(actual, expected)).dataSync()[0] / tf.norm(expected).dataSync()[0]);
}

function layoutOf(model: tf.LayersModel, name: string): BlockLayout {
  return (model.getLayer(name) as BlockSparseDense | BlockSparseConv2D).layout!;
}

describe('calibrated conversion', () => {
  test('a Layers model already block-sparse on some blocks comes back exactly: those blocks, those weights', async () => {
    const model = convNet();
    const layouts: Record<string, BlockLayout> = {};
    model.layers.filter(l => ['conv', 'pointwise', 'hidden', 'logits'].includes(l.name)).forEach((layer, i) => {
      const [kernel, bias] = layer.getWeights();
      const [inputSize, outputSize] = kernel.shape.slice(-2);
      layouts[layer.name] = randomLayout({inputSize, outputSize, blockSize: 8, density: 0.5, seed: 10 + i});
      layer.setWeights([densify(sparsify(kernel, layouts[layer.name]), layouts[layer.name]), bias]);
    });
    // More inputs than hidden's 256 weights per output: every refit is determined by the inputs, not by its damping.
    const inputs = seeded([272, 8, 8, 16], 5);
    const {model: sparse, report} = await sparsifyModel(model, {density: 0.5, blockSize: 8, calibrate: {inputs}});
    for (const [name, layout] of Object.entries(layouts)) {
      expect([name, layoutOf(sparse, name).equals(layout)]).toEqual([name, true]);
      const [kernel, bias] = sparse.getLayer(name).getWeights();
      const [originalKernel, originalBias] = model.getLayer(name).getWeights();
      expect(relativeError(kernel, sparsify(originalKernel, layout))).toBeLessThan(1e-4);
      expect(relativeError(bias, originalBias)).toBeLessThan(1e-4);
      expect(report.layers.find(l => l.name === name)!.outputError!.calibrated).toBeLessThan(1e-3);
    }
    const x = seeded([8, 8, 8, 16], 6);
    expect(relativeError(sparse.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor)).toBeLessThan(1e-4);
  });

  test('a graph model already block-sparse comes back exactly (fused conv, strided 1x1 conv, transposed matmul)', async () => {
    const layout = (k: number, n: number, seed: number) => randomLayout({inputSize: k, outputSize: n, blockSize: 8, density: 0.5, seed});
    const blockSparse = (shape: number[], l: BlockLayout, seed: number) => densify(sparsify(seeded(shape, seed), l), l);
    const [l1, l2, l3] = [layout(16, 16, 1), layout(16, 32, 2), layout(32, 16, 3)];
    const g = new GraphFixture();
    const img = g.placeholder('img', [-1, 8, 8, 16]);
    const conv1 = g.conv2d(
        'conv1', img, g.constant('f1', blockSparse([3, 3, 16, 16], l1, 4)),
        {fused: {args: [g.constant('b1', seeded([16], 5))], ops: ['BiasAdd', 'Relu6']}});
    const conv2 = g.conv2d('conv2', conv1, g.constant('f2', blockSparse([1, 1, 16, 32], l2, 6)), {strides: 2, padding: 'VALID'});
    const flat =
        g.op('pool', 'Mean', [conv2, g.constant('axes', tf.tensor1d([1, 2], 'int32'))], {keep_dims: {b: false}, Tidx: {type: 'DT_INT32'}});
    g.matMul('fc', flat, g.constant('w3t', tf.transpose(blockSparse([32, 16], l3, 7))), {transposeB: true});
    const model = await g.load();
    const {model: sparse, report} =
        await sparsifyModel(model, {density: 0.5, blockSize: 8, calibrate: {inputs: seeded([32, 8, 8, 16], 8)}});
    expect(report.totals.converted).toBe(3);
    report.layers.forEach(l => expect([l.name, l.outputError!.calibrated < 1e-3]).toEqual([l.name, true]));
    const x = seeded([4, 8, 8, 16], 9);
    expect(relativeError(sparse.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor)).toBeLessThan(1e-4);
  });

  test('on a random model pruned to 1/4, each layer and the whole model (on held-out inputs) err less than magnitude pruning', async () => {
    const model = convNet();
    const inputs = seeded([192, 8, 8, 16], 11);
    const held = seeded([32, 8, 8, 16], 12);
    const expected = model.predict(held) as tf.Tensor;
    const {model: magnitude} = await sparsifyModel(model, {density: 0.25, blockSize: 8});
    const {model: calibrated, report} = await sparsifyModel(model, {density: 0.25, blockSize: 8, calibrate: {inputs}});
    for (const layer of report.layers) {
      const {magnitude: before, calibrated: after} = layer.outputError!;
      expect([layer.name, after <= before]).toEqual([layer.name, true]);
    }
    const [magnitudeError, calibratedError] = [magnitude, calibrated].map(m => relativeError(m.predict(held) as tf.Tensor, expected));
    expect(calibratedError).toBeLessThan(0.8 * magnitudeError);
  });

  test('each layer is fit to the input the converted layers before it produce, not the original input', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({inputShape: [32], units: 32, name: 'first', ...init(21)}),
        tf.layers.dense({units: 16, name: 'second', ...init(22)})
      ]
    });
    const inputs = seeded([256, 32], 23);
    const {model: sparse} = await sparsifyModel(model, {density: 0.5, blockSize: 8, calibrate: {inputs, damping: 1e-6}});
    const target = model.predict(inputs) as tf.Tensor;
    // Least squares on the kept blocks: the residual is orthogonal to every kept input row (and the bias column).
    const gradient = (x: tf.Tensor) => tf.tidy(() => {
      const withOnes = tf.concat([x, tf.ones([x.shape[0], 1])], 1);
      const [kernel, bias] = sparse.getLayer('second').getWeights();
      const layout = layoutOf(sparse, 'second');
      const residual = tf.sub(tf.add(tf.matMul(x, densify(kernel, layout)), bias), target);
      const mask = tf.concat([densify(tf.onesLike(kernel), layout), tf.ones([1, 16])]);
      return tf.norm(tf.mul(tf.matMul(withOnes, residual, true), mask)).dataSync()[0] /
          (tf.norm(withOnes).dataSync()[0] * tf.norm(residual).dataSync()[0]);
    });
    const first = (m: tf.LayersModel) =>
        tf.model({inputs: m.inputs, outputs: m.getLayer('first').output as tf.SymbolicTensor}).predict(inputs) as tf.Tensor;
    expect(gradient(first(sparse))).toBeLessThan(1e-4);
    expect(gradient(first(model))).toBeGreaterThan(1e-2);
  });

  test('a layer that stays dense is refit to the original\'s output from what the converted layers before it produce', async () => {
    // Least squares over every weight: the residual is orthogonal to each input row and the ones column.
    const normalResidual = (x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor, target: tf.Tensor) => tf.tidy(() => {
      const withOnes = tf.concat([x, tf.ones([x.shape[0], 1])], 1);
      const residual = tf.sub(tf.add(tf.matMul(x, kernel), bias), target);
      return tf.norm(tf.matMul(withOnes, residual, true)).dataSync()[0] /
          (tf.norm(withOnes).dataSync()[0] * tf.norm(residual).dataSync()[0]);
    });
    const inputs = seeded([256, 32], 31);
    const model = tf.sequential({
      layers: [
        tf.layers.dense({inputShape: [32], units: 32, activation: 'relu', name: 'hidden', ...init(32)}),
        tf.layers.dense({units: 5, name: 'head', ...init(33)})  // 8 does not divide 5 outputs: stays dense
      ]
    });
    const {model: sparse, report} = await sparsifyModel(model, {density: 0.25, blockSize: 8, calibrate: {inputs, damping: 1e-6}});
    const head = report.layers.find(l => l.name === 'head')!;
    expect(head.converted).toBe(false);
    expect(head.refitError!.refit).toBeLessThan(0.9 * head.refitError!.original);
    const hidden =
        tf.model({inputs: sparse.inputs, outputs: sparse.getLayer('hidden').output as tf.SymbolicTensor}).predict(inputs) as tf.Tensor;
    const target = model.predict(inputs) as tf.Tensor;
    expect(normalResidual(hidden, ...sparse.getLayer('head').getWeights() as [tf.Tensor, tf.Tensor], target)).toBeLessThan(1e-4);
    expect(normalResidual(hidden, ...model.getLayer('head').getWeights() as [tf.Tensor, tf.Tensor], target)).toBeGreaterThan(1e-2);

    // The same in a graph model: a fused matmul head, its bias among its constants.
    const g = new GraphFixture();
    const x = g.placeholder('x', [-1, 32]);
    const h = g.fusedMatMul('hidden', x, g.constant('w1', seeded([32, 32], 34)), [g.constant('b1', seeded([32], 35))], ['BiasAdd', 'Relu']);
    g.fusedMatMul('head', h, g.constant('w2', seeded([32, 5], 36)), [g.constant('b2', seeded([5], 37))], ['BiasAdd']);
    const graph = await g.load();
    const converted = await sparsifyModel(graph, {density: 0.25, blockSize: 8, calibrate: {inputs, damping: 1e-6}});
    const graphHead = converted.report.layers.find(l => l.name === 'head')!;
    expect(graphHead.refitError!.refit).toBeLessThan(0.9 * graphHead.refitError!.original);
    const graphHidden = converted.model.execute(inputs, converted.model.outputs[0].name.replace(/head.*/, 'hidden')) as tf.Tensor;
    const [w2, b2] = ['w2', 'b2'].map(name => converted.model.weights[name][0]);
    expect(normalResidual(graphHidden, w2, b2, graph.predict(inputs) as tf.Tensor)).toBeLessThan(1e-4);

    // From fewer rows than four per weight of an output (33 here) it would fit the inputs, not the layer: left as it was.
    const few = await sparsifyModel(model, {density: 0.25, blockSize: 8, calibrate: {inputs: seeded([132, 32], 38)}});
    expect(few.report.layers.find(l => l.name === 'head')!.refitError).toBeDefined();
    const fewer = await sparsifyModel(model, {density: 0.25, blockSize: 8, calibrate: {inputs: seeded([131, 32], 38)}});
    expect(fewer.report.layers.find(l => l.name === 'head')!.refitError).toBeUndefined();
    const [kept, original] = [fewer.model, model].map(m => m.getLayer('head').getWeights()[0]);
    expect(tf.max(tf.abs(tf.sub(kept, original))).dataSync()[0]).toBe(0);

    // refitDense: false leaves it as it was, in both formats.
    const unfit = await sparsifyModel(model, {density: 0.25, blockSize: 8, calibrate: {inputs, refitDense: false}});
    expect(unfit.report.layers.find(l => l.name === 'head')!.refitError).toBeUndefined();
    expect(tf.max(tf.abs(tf.sub(unfit.model.getLayer('head').getWeights()[0], original))).dataSync()[0]).toBe(0);
    const unfitGraph = await sparsifyModel(graph, {density: 0.25, blockSize: 8, calibrate: {inputs, refitDense: false}});
    expect(unfitGraph.report.layers.find(l => l.name === 'head')!.refitError).toBeUndefined();
    expect(tf.max(tf.abs(tf.sub(unfitGraph.model.weights['w2'][0], graph.weights['w2'][0]))).dataSync()[0]).toBe(0);
  });

  test('a bias-less conv that a BatchNormalization reads: the norm\'s mean takes the intercept', async () => {
    const make = () => tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [8, 8, 16],
          filters: 32,
          kernelSize: 1,
          useBias: false,
          name: 'conv',
          kernelInitializer: tf.initializers.glorotNormal({seed: 71})
        }),
        tf.layers.batchNormalization({name: 'norm'}), tf.layers.reLU({maxValue: 6}), tf.layers.conv2d({
          filters: 16,
          kernelSize: 3,
          padding: 'same',
          useBias: false,
          name: 'conv2',
          kernelInitializer: tf.initializers.glorotNormal({seed: 72})
        }),
        tf.layers.batchNormalization({name: 'norm2'})
      ]
    });
    const model = make();
    // Trained-looking statistics: a mean and a spread per channel, so that the norms' scales differ by channel.
    for (const [name, channels, seed] of [['norm', 32, 73], ['norm2', 16, 74]] as const) {
      model.getLayer(name).setWeights([
        tf.add(1, tf.mul(seeded([channels], seed), 0.3)), seeded([channels], seed + 10), tf.mul(seeded([channels], seed + 20), 0.2),
        tf.add(0.05, tf.abs(seeded([channels], seed + 30)))
      ]);
    }
    const inputs = tf.relu(seeded([64, 8, 8, 16], 75));
    const held = tf.relu(seeded([16, 8, 8, 16], 76));
    const expected = model.predict(held) as tf.Tensor;
    // Unfolded (foldBatchNorm: false), the norm stays and its mean takes the intercept.
    const {model: magnitude} = await sparsifyModel(model, {density: 0.25, blockSize: 8, foldBatchNorm: false});
    const {model: calibrated, report} =
        await sparsifyModel(model, {density: 0.25, blockSize: 8, calibrate: {inputs}, foldBatchNorm: false});
    expect(report.layers.map(l => l.outputError != null)).toEqual([true, true]);
    const [meanBefore, meanAfter] = [model, calibrated].map(m => m.getLayer('norm').getWeights()[2].dataSync());
    expect(Array.from(meanAfter)).not.toEqual(Array.from(meanBefore));
    const [magnitudeError, calibratedError] = [magnitude, calibrated].map(m => relativeError(m.predict(held) as tf.Tensor, expected));
    expect(calibratedError).toBeLessThan(0.7 * magnitudeError);
    // Folded (the default), the conv takes the norm's scale and shift as its bias, and calibrates as well.
    const {model: folded, report: foldedReport} = await sparsifyModel(model, {density: 0.25, blockSize: 8, calibrate: {inputs}});
    expect(foldedReport.folded).toEqual(['norm', 'norm2', expect.any(String)]);
    expect(relativeError(folded.predict(held) as tf.Tensor, expected)).toBeLessThan(0.7 * magnitudeError);
  });

  test(
      'a functional model with a nested model: top-level layers calibrate from the model\'s input, the nested one by magnitude',
      async () => {
        const input = tf.input({shape: [16]});
        const inner =
            tf.sequential({name: 'inner', layers: [tf.layers.dense({inputShape: [16], units: 16, name: 'inner_dense', ...init(51)})]});
        const a = tf.layers.dense({units: 16, activation: 'relu', name: 'a', ...init(52)}).apply(input) as tf.SymbolicTensor;
        const b = tf.layers.dense({units: 8, name: 'b', ...init(53)}).apply(inner.apply(a) as tf.SymbolicTensor) as tf.SymbolicTensor;
        const model = tf.model({inputs: input, outputs: b});
        const inputs = seeded([64, 16], 54);
        const {model: sparse, report} = await sparsifyModel(model, {density: 0.5, blockSize: 8, calibrate: {inputs}});
        expect(report.layers.map(l => [l.name, l.converted, l.outputError != null])).toEqual([
          ['a', true, true], ['inner_dense', true, false], ['b', true, true]
        ]);
        const {model: magnitude} = await sparsifyModel(model, {density: 0.5, blockSize: 8});
        const held = seeded([32, 16], 55);
        const expected = model.predict(held) as tf.Tensor;
        expect(relativeError(sparse.predict(held) as tf.Tensor, expected))
            .toBeLessThan(relativeError(magnitude.predict(held) as tf.Tensor, expected));
      });

  test('branches that read an earlier tensor after a later one (an Inception block) calibrate, each from its own input', async () => {
    const input = tf.input({shape: [16]});
    const stem = tf.layers.dense({units: 16, activation: 'relu', name: 'stem', ...init(61)}).apply(input) as tf.SymbolicTensor;
    // tfjs orders a functional model's layers by their distance from the output: 'pool', two layers deeper than
    // 'a1' (through 'c1', 'c2'), comes first, and 'b' (reading 'pool') after 'a2' (reading 'a1').
    const a1 = tf.layers.dense({units: 16, activation: 'relu', name: 'a1', ...init(62)}).apply(stem) as tf.SymbolicTensor;
    const pool = tf.layers.activation({activation: 'relu6', name: 'pool'}).apply(stem) as tf.SymbolicTensor;
    const a2 = tf.layers.dense({units: 16, name: 'a2', ...init(63)}).apply(a1) as tf.SymbolicTensor;
    const b = tf.layers.dense({units: 16, name: 'b', ...init(64)}).apply(pool) as tf.SymbolicTensor;
    const c1 = tf.layers.activation({activation: 'relu', name: 'c1'}).apply(pool) as tf.SymbolicTensor;
    const c2 = tf.layers.dense({units: 16, name: 'c2', ...init(67)}).apply(c1) as tf.SymbolicTensor;
    const model = tf.model({inputs: input, outputs: tf.layers.concatenate().apply([a2, b, c2]) as tf.SymbolicTensor});
    const names = model.layers.map(l => l.name);
    expect([names.indexOf('pool') < names.indexOf('a1'), names.indexOf('a2') < names.indexOf('b')]).toEqual([true, true]);
    const inputs = seeded([64, 16], 65);
    const {model: sparse, report} = await sparsifyModel(model, {density: 0.5, blockSize: 8, calibrate: {inputs}});
    expect(report.layers.map(l => [l.name, l.outputError != null])).toEqual([
      ['stem', true], ['a1', true], ['a2', true], ['b', true], ['c2', true]
    ]);
    const {model: magnitude} = await sparsifyModel(model, {density: 0.5, blockSize: 8});
    const held = seeded([32, 16], 66);
    const expected = model.predict(held) as tf.Tensor;
    expect(relativeError(sparse.predict(held) as tf.Tensor, expected))
        .toBeLessThan(relativeError(magnitude.predict(held) as tf.Tensor, expected));
  });

  test(
      'a budget keeps that share of the multiply-adds, puts it where the model is sensitive, and errs less than one density for all',
      async () => {
        // 'wide' is nearly block-sparse at 1/8 already (robust), 'head' is not (sensitive) and costs an eighth as much.
        const model = tf.sequential({
          layers: [
            tf.layers.dense({inputShape: [64], units: 64, activation: 'relu', name: 'wide', ...init(41)}),
            tf.layers.dense({units: 8, name: 'head', ...init(42)})
          ]
        });
        const [kernel, bias] = model.getLayer('wide').getWeights();
        const eighth = randomLayout({inputSize: 64, outputSize: 64, blockSize: 8, density: 1 / 8, seed: 43});
        model.getLayer('wide').setWeights([tf.add(densify(sparsify(kernel, eighth), eighth), tf.mul(seeded([64, 64], 44), 0.002)), bias]);
        const inputs = seeded([128, 64], 45);
        const {model: budgeted, report} = await sparsifyModel(model, {density: 1, blockSize: 8, budget: 0.25, calibrate: {inputs}});
        const {before, after} = report.totals.multiplyAdds!;
        expect(before).toBe(64 * 64 + 64 * 8);
        expect(after).toBeLessThanOrEqual(0.25 * before);
        expect(report.layers.map(l => [l.name, l.density])).toEqual([['wide', 0.125], ['head', 1]]);
        expect(layoutOf(budgeted, 'wide').density).toBe(0.125);
        const {model: uniform} = await sparsifyModel(model, {density: 0.25, blockSize: 8, calibrate: {inputs}});
        const held = seeded([64, 64], 46);
        const expected = model.predict(held) as tf.Tensor;
        const [budgetError, uniformError] = [budgeted, uniform].map(m => relativeError(m.predict(held) as tf.Tensor, expected));
        expect(budgetError).toBeLessThan(0.5 * uniformError);
        expect(report.budget)
            .toEqual({budget: 0.25, kept: 'per layer', outputError: {perLayer: expect.any(Number), uniform: expect.any(Number)}});
        expect(report.budget!.outputError.perLayer).toBeLessThan(report.budget!.outputError.uniform);
      });

  test('a budget whose per-layer densities do worse than one density for all keeps one density for all', async () => {
    // Alone, 'a' looks robust at 1/8: its block columns 1-15 each hold two large blocks reading x[64:128]; column 0
    // (small, dense) is all that carries x[0:64], and 'b' reads it with a large gain, so a's 1/8 loses what the
    // model needs and no refit of 'b' can restore it. 'b' (a quarter of a's multiply-adds) is dense.
    const mask = (rows: number, columns: number, value: (row: number, column: number) => number) =>
        tf.tensor2d(Array.from({length: rows * columns}, (_, i) => value(Math.floor(i / columns), i % columns)), [rows, columns]);
    const a = tf.mul(seeded([128, 128], 71), mask(128, 128, (r, c) => {
                       const [rowBlock, columnBlock] = [Math.floor(r / 8), Math.floor(c / 8)];
                       return columnBlock === 0                                                       ? (r < 64 ? 0.1 : 0) :
                           rowBlock === 8 + columnBlock % 8 || rowBlock === 8 + (columnBlock + 3) % 8 ? 1 :
                                                                                                        0;
                     }));
    const b = tf.mul(seeded([128, 32], 72), mask(128, 32, r => r < 8 ? 40 : 1));
    const model = tf.sequential({
      layers: [
        tf.layers.dense({inputShape: [128], units: 128, useBias: false, name: 'a'}), tf.layers.dense({units: 32, useBias: false, name: 'b'})
      ]
    });
    [a, b].forEach((kernel, i) => model.layers[i].setWeights([kernel]));
    const inputs = seeded([256, 128], 75);
    const {model: budgeted, report} = await sparsifyModel(model, {density: 1, blockSize: 8, budget: 0.25, calibrate: {inputs}});
    const {perLayer, uniform} = report.budget!.outputError;
    expect(report.budget!.kept).toBe('uniform');
    expect(uniform).toBeLessThan(perLayer);
    expect(report.layers.map(l => l.density)).toEqual([0.25, 0.25]);
    expect(layoutOf(budgeted, 'a').density).toBe(0.25);
    expect(formatReport(report))
        .toContain(
            `budget 0.25: model output error on the calibration inputs ${perLayer.toFixed(4)} with densities per layer, ` +
            `${uniform.toFixed(4)} with 0.25 for all: kept 0.25 for all`);

    // The same as a graph made for batches of one (as MoveNet's): run a row at a time, the same choice.
    const g = new GraphFixture();
    g.matMul('b', g.matMul('a', g.placeholder('x', [1, 128]), g.constant('wa', a)), g.constant('wb', b));
    const graph = await sparsifyModel(await g.load(), {density: 1, blockSize: 8, budget: 0.25, calibrate: {inputs}});
    expect(graph.report.budget!.kept).toBe('uniform');
    expect(graph.report.budget!.outputError.uniform).toBeCloseTo(uniform, 4);
    expect(graph.report.budget!.outputError.perLayer).toBeCloseTo(perLayer, 4);
  });

  test('a tolerance keeps dense the fewest layers that bring the output error within it, those that err most alone first', async () => {
    // 'a' is nearly block-sparse at 1/4 (robust), 'b' and 'c' are not (sensitive).
    const layout = randomLayout({inputSize: 64, outputSize: 64, blockSize: 8, density: 0.25, seed: 81});
    const kernels = [
      tf.add(densify(sparsify(seeded([64, 64], 84), layout), layout), tf.mul(seeded([64, 64], 85), 0.01)),
      tf.mul(seeded([64, 64], 82), 0.2), tf.mul(seeded([64, 64], 83), 0.2)
    ];
    const model = tf.sequential(
        {layers: ['a', 'b', 'c'].map((name, i) => tf.layers.dense({...(i === 0 && {inputShape: [64]}), units: 64, useBias: false, name}))});
    kernels.forEach((kernel, i) => model.layers[i].setWeights([kernel]));
    const inputs = seeded([320, 64], 86);
    // A tolerance measures on a seeded random fifth of the calibration inputs and calibrates on the rest.
    const split = shuffleInPlace(Int32Array.from({length: 320}, (_, i) => i), seededRandom(0));
    const [held, fit] = [split.subarray(0, 64), split.subarray(64)].map(rows => tf.gather(inputs, rows));
    const errorOn = (m: tf.LayersModel) => relativeError(m.predict(held) as tf.Tensor, model.predict(held) as tf.Tensor);
    const options = {density: 0.25, blockSize: 8, calibrate: {inputs}};
    const errorWithDense = async (keepDense: string[]) =>
        errorOn((await sparsifyModel(model, {...options, calibrate: {inputs: fit}, keepDense})).model);
    const [converted, denseB, denseC, denseBC] = await Promise.all([[], ['b'], ['c'], ['b', 'c']].map(errorWithDense));
    // 'b' and 'c' kept dense bring the error within this tolerance; either alone does not.
    const tolerance = (Math.min(denseB, denseC) + denseBC) / 2;
    expect(converted > tolerance && denseB > tolerance && denseC > tolerance && denseBC < tolerance).toBe(true);

    const {model: kept, report} = await sparsifyModel(model, {...options, tolerance});
    const first = report.tolerance!.keptDense[0];
    expect(report.tolerance).toEqual({
      tolerance,
      heldOutInputs: 64,
      outputError: {converted: expect.closeTo(converted, 5), kept: expect.closeTo(denseBC, 5)},
      keptDense: [first, first === 'b' ? 'c' : 'b'],
      tried: [
        {keptDense: 0, outputError: expect.closeTo(converted, 5)},
        {keptDense: 1, outputError: expect.closeTo(first === 'b' ? denseB : denseC, 5)},
        {keptDense: 2, outputError: expect.closeTo(denseBC, 5)}
      ]
    });
    expect(errorOn(kept)).toBeLessThanOrEqual(tolerance);
    expect(report.layers.map(l => [l.name, l.converted, l.reason])).toEqual([
      ['a', true, undefined], ['b', false, 'listed in keepDense'], ['c', false, 'listed in keepDense']
    ]);
    expect(kept.getLayer('b').getClassName()).toBe('Dense');
    expect(report.totals.multiplyAdds).toEqual({before: 3 * 64 * 64, after: 2 * 64 * 64 + 0.25 * 64 * 64});
    const tried = report.tolerance!.tried.map(t => `${t.keptDense} dense ${t.outputError.toFixed(4)}`).join(', ');
    expect(formatReport(report))
        .toContain(
            `tolerance ${tolerance}: model output error on 64 held-out calibration inputs ${converted.toFixed(4)} as converted, ` +
            `${denseBC.toFixed(4)} with 2 layers kept dense (tried: ${tried})`);

    // Within the tolerance as converted: nothing kept dense. At 0: every layer, the original's outputs.
    const loose = await sparsifyModel(model, {...options, tolerance: converted * 1.01});
    expect([loose.report.tolerance!.keptDense, loose.report.tolerance!.tried.length, loose.report.totals.converted]).toEqual([[], 1, 3]);
    const tensors = tf.memory().numTensors;
    const exact = await sparsifyModel(model, {...options, tolerance: 0});
    expect([
      [...exact.report.tolerance!.keptDense].sort(), exact.report.tolerance!.outputError.kept, exact.report.totals.converted
    ]).toEqual([['a', 'b', 'c'], 0, 0]);
    // The models tried and not kept are freed.
    exact.model.dispose();
    expect(tf.memory().numTensors).toBe(tensors);

    // Under a budget: the layers kept dense leave the budget to the others; within the tolerance all the same.
    const budgeted = await sparsifyModel(model, {...options, density: 1, budget: 0.25, tolerance});
    expect(budgeted.report.budget).toBeDefined();
    expect(budgeted.report.tolerance!.keptDense.length).toBeGreaterThan(0);
    expect(errorOn(budgeted.model)).toBeLessThanOrEqual(tolerance);

    // A graph model of the same layers: the same choice.
    const g = new GraphFixture();
    g.matMul(
        'c', g.matMul('b', g.matMul('a', g.placeholder('x', [-1, 64]), g.constant('wa', kernels[0])), g.constant('wb', kernels[1])),
        g.constant('wc', kernels[2]));
    const graph = await sparsifyModel(await g.load(), {...options, tolerance});
    expect(graph.report.tolerance!.keptDense).toEqual(report.tolerance!.keptDense);
  });

  test('budget allocation: the robust layer is made sparser, the sensitive one stays denser', () => {
    const sensitive = {name: 'sensitive', multiplyAdds: 100, errors: new Map([[1, 0], [0.5, 0.5], [0.25, 0.8], [0.125, 0.9], [0.0625, 1]])};
    const robust = {name: 'robust', multiplyAdds: 100, errors: new Map([[1, 0], [0.5, 0.01], [0.25, 0.02], [0.125, 0.05], [0.0625, 0.1]])};
    expect(allocateBudget([sensitive, robust], 0.3)).toEqual(new Map([['sensitive', 0.5], ['robust', 0.0625]]));
    // The last step down overshoots 0.5; the robust layer takes back what is left.
    expect(allocateBudget([sensitive, robust], 0.5)).toEqual(new Map([['sensitive', 0.5], ['robust', 0.5]]));
    expect(allocateBudget([sensitive, robust], 1)).toEqual(new Map([['sensitive', 1], ['robust', 1]]));
    // Giving back the overshoot takes the step up that removes the most error per multiply-add first.
    const layer = (name: string, multiplyAdds: number, half: number, quarter: number) =>
        ({name, multiplyAdds, errors: new Map([[1, 0], [0.5, half], [0.25, quarter]])});
    expect(allocateBudget([layer('a', 100, 0.2, 0.8), layer('b', 200, 0.8, 1.5), layer('c', 100, 0.5, 0.5)], 0.6)).toEqual(new Map([
      ['a', 1], ['b', 0.5], ['c', 0.25]
    ]));
    // Below what the sparsest densities reach, every layer ends at its sparsest.
    expect(allocateBudget([sensitive, robust], 0.01)).toEqual(new Map([['sensitive', 0.0625], ['robust', 0.0625]]));
  });

  test('bad calibration input is refused with a clear message', async () => {
    const model = convNet();
    await expect(sparsifyModel(model, {density: 0.5, blockSize: 8, calibrate: {inputs: seeded([4, 8, 8, 3], 1)}}))
        .rejects.toThrow(/calibrate: the model takes inputs of shape \[-1,8,8,16\]; got \[4,8,8,3\]/);
    await expect(sparsifyModel(model, {density: 0.5, blockSize: 8, calibrate: {inputs: seeded([4, 8, 8, 16], 1), batchSize: 0}}))
        .rejects.toThrow(/calibrate: batchSize must be a positive integer/);
    await expect(sparsifyModel(model, {density: 0.5, blockSize: 8, layout: 'random', calibrate: {inputs: seeded([4, 8, 8, 16], 1)}}))
        .rejects.toThrow(/calibrate chooses the blocks itself; it takes no layout 'random'/);
    await expect(sparsifyModel(model, {density: 1, blockSize: 8, budget: 0.5}))
        .rejects.toThrow(/budget must be in \(0, 1\] and needs calibrate .* without calibrate/);
    await expect(sparsifyModel(model, {density: 0.5, blockSize: 8, tolerance: 0.1}))
        .rejects.toThrow(/tolerance must be >= 0 and needs calibrate .*; got 0.1 without calibrate/);
    await expect(sparsifyModel(model, {density: 0.5, blockSize: 8, tolerance: -1, calibrate: {inputs: seeded([4, 8, 8, 16], 1)}}))
        .rejects.toThrow(/tolerance must be >= 0 .*; got -1$/);
    await expect(sparsifyModel(model, {density: 0.5, blockSize: 8, tolerance: 0.1, calibrate: {inputs: seeded([1, 8, 8, 16], 1)}}))
        .rejects.toThrow(/a tolerance needs at least 2 calibration inputs \(a fifth is held out to measure on\); got 1/);
  });
});
