import '@tfjs-blocksparse/backend-cpu';

import * as tf from '@tensorflow/tfjs';
import {spawnSync} from 'child_process';
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'fs';
import {tmpdir} from 'os';
import {join} from 'path';

import {loadFrom, main, quantizeWeights, saveTo} from '@tfjs-blocksparse/converter';
import {GRAPH_MATMUL_OP} from '@tfjs-blocksparse/graph';
import {BlockSparseDense} from '@tfjs-blocksparse/layers';

import {GraphFixture, seeded} from './graph_fixture';

let dir: string;
let modelPath: string;
let model: tf.Sequential;

/** A saved model read with tfjs's own functions only (no project code), as a page would. */
async function plainLoad(modelDir: string) {
  const json = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const artifacts = await tf.io.getModelArtifactsForJSON(
      json,
      async manifest =>
          [tf.io.getWeightSpecs(manifest),
           tf.io.concatenateArrayBuffers(manifest.flatMap(g => g.paths).map(p => new Uint8Array(readFileSync(join(modelDir, p))).buffer))]);
  return {json, artifacts};
}

/** tfjs's default initializer, seeded: the distill test's model must be the same on every run. */
function seededKernel(seed: number) {
  return tf.initializers.glorotUniform({seed});
}

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, {out: t => out += t, err: t => err += t});
  return {code, out, err};
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'blocksparse-cli-'));
  model = tf.sequential({
    layers: [
      tf.layers.dense({inputShape: [32], units: 64, activation: 'relu', name: 'first', kernelInitializer: seededKernel(1)}),
      tf.layers.dense({units: 16, name: 'second', kernelInitializer: seededKernel(2)}),
      tf.layers.dense({units: 3, name: 'head', kernelInitializer: seededKernel(3)})
    ]
  });
  await model.save(saveTo(join(dir, 'dense')));
  modelPath = join(dir, 'dense', 'model.json');
});

describe('tfjs-blocksparse CLI', () => {
  test('convert writes a loadable block-sparse model and prints the report', async () => {
    const {code, out, err} =
        await run('convert', modelPath, join(dir, 'sparse'), '--density', '0.25', '--block-size', '8', '--include', 'first|second');
    expect(err).toContain('2/3');
    expect(code).toBe(0);
    expect(out).toMatch(/first\s+Dense\s+\[32, 64\]\s+8\/32\s+0\.250/);
    expect(out).toMatch(/head\s+Dense\s+\[16, 3\].*stays dense: not matched by include/);
    expect(out).toMatch(/importing @tfjs-blocksparse\/layers and the kernels of your backend: .*backend-wasm/);
    expect(readdirSync(join(dir, 'sparse')).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    const loaded = await tf.loadLayersModel(loadFrom(join(dir, 'sparse', 'model.json')));
    expect(loaded.getLayer('first')).toBeInstanceOf(BlockSparseDense);
    expect((loaded.getLayer('second') as BlockSparseDense).layout!.nnz).toBe(4);
    expect((loaded.predict(tf.ones([1, 32])) as tf.Tensor).shape).toEqual([1, 3]);
  });

  test('--int8 writes int8 blocks that load and predict within 2% of float32 blocks; inspect reads them', async () => {
    const {code, out} =
        await run('convert', modelPath, join(dir, 'int8'), '--density', '0.25', '--block-size', '8', '--include', 'first|second', '--int8');
    expect(code).toBe(0);
    expect(out).toMatch(/int8 blocks: 2 layers, their kernels 3\.0 KiB -> 1\.1 KiB in memory \(cpu, wasm and webgpu read them as int8\)/);
    const int8 = await tf.loadLayersModel(loadFrom(join(dir, 'int8', 'model.json')));
    await run('convert', modelPath, join(dir, 'int8-float'), '--density', '0.25', '--block-size', '8', '--include', 'first|second');
    const float = await tf.loadLayersModel(loadFrom(join(dir, 'int8-float', 'model.json')));
    expect(int8.getLayer('first').getConfig().kernelDtype).toBe('int8');
    const x = seeded([4, 32], 31);
    const [a, b] = [int8.predict(x) as tf.Tensor, float.predict(x) as tf.Tensor];
    const error = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / tf.max(tf.abs(b)).dataSync()[0];
    expect(error).toBeGreaterThan(0);
    expect(error).toBeLessThan(0.02);
    const inspected = await run('inspect', join(dir, 'int8', 'model.json'));
    expect(inspected.out).toMatch(/first\/kernel \(BlockSparseDense\): block 8, grid 4x8, 8 blocks kept, density 0\.250/);
  });

  test('--float16 writes float16 blocks, half the kernels\' bytes, that predict within float16 rounding of float32 blocks', async () => {
    const flags = ['--density', '0.25', '--block-size', '8', '--include', 'first|second'];
    const {code, out} = await run('convert', modelPath, join(dir, 'float16'), ...flags, '--float16');
    expect(code).toBe(0);
    expect(out).toMatch(
        /float16 blocks: 2 layers, their kernels 3\.0 KiB -> 1\.5 KiB in memory \(cpu, wasm and webgpu read them as float16\)/);
    const half = await tf.loadLayersModel(loadFrom(join(dir, 'float16', 'model.json')));
    await run('convert', modelPath, join(dir, 'float16-float'), ...flags);
    const float = await tf.loadLayersModel(loadFrom(join(dir, 'float16-float', 'model.json')));
    expect(half.getLayer('second').getConfig().kernelDtype).toBe('float16');
    const x = seeded([4, 32], 31);
    const [a, b] = [half.predict(x) as tf.Tensor, float.predict(x) as tf.Tensor];
    const error = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / tf.max(tf.abs(b)).dataSync()[0];
    expect(error).toBeGreaterThan(0);
    expect(error).toBeLessThan(1e-3);
  });

  test('--only-faster times each layer and prints its speedup, or why it stays dense', async () => {
    const {code, out} = await run(
        'convert', modelPath, join(dir, 'faster'), '--density', '1', '--block-size', '8', '--only-faster', '--include', 'first|second');
    // Whichever way each timing goes on this machine, the row says it: a speedup above 1, or the reason.
    for (const name of ['first', 'second']) {
      expect(out).toMatch(new RegExp(`${name}\\s+Dense.*(\\d+\\.\\d\\dx\\s.*block-sparse|stays dense: not faster block-sparse on cpu)`));
    }
    expect([0, 1]).toContain(code);
  });

  test('inspect prints each sparse layout and writes it as a PNG', async () => {
    const {code, out} = await run('inspect', join(dir, 'sparse', 'model.json'), '--png', join(dir, 'pictures'));
    expect(code).toBe(0);
    expect(out).toMatch(/first\/kernel \(BlockSparseDense\): block 8, grid 4x8, 8 blocks kept, density 0\.250/);
    const png = readFileSync(join(dir, 'pictures', 'first_kernel.png'));
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.readUInt32BE(16)).toBe(8 * 4);
  });

  test('the installed bin runs end to end, without tfjs\'s "install tfjs-node" banner', () => {
    const bin = join(__dirname, '..', 'bin', 'tfjs-blocksparse.js');
    const {stdout, stderr, status} = spawnSync(process.execPath, [bin, 'inspect', join(dir, 'sparse', 'model.json')], {encoding: 'utf8'});
    expect(status).toBe(0);
    expect(stdout).toMatch(/second\/kernel \(BlockSparseDense\): block 8, grid 8x2, 4 blocks kept/);
    expect(stderr).not.toMatch(/tfjs-node|Hi, looks like/);
  });

  test.each([
    [['convert'], 2, /expected <model.json> <outDir>, got 0 arguments/],
    [['convert', 'm.json'], 2, /expected <model.json> <outDir>, got 1 argument\n/],
    [['frobnicate'], 2, /unknown command 'frobnicate'/],
    [
      ['convert', 'm.json', 'out', '--density', '2', '--block-size', '8'], 2,
      /--density must be a number in \(0, 1\], as 0.25 or 1\/4; got 2/
    ],
    [
      ['convert', 'm.json', 'out', '--density', '3/2', '--block-size', '8'], 2,
      /--density must be a number in \(0, 1\], as 0.25 or 1\/4; got 3\/2/
    ],
    [['convert', 'm.json', 'out', '--density', '1/0', '--block-size', '8'], 2, /--density must be .*; got 1\/0/],
    [['convert', 'm.json', 'out', '--density', '1/4x', '--block-size', '8'], 2, /--density must be .*; got 1\/4x/],
    [['convert', 'm.json', 'out', '--budget', '0/4', '--calibrate', 'generated', '--block-size', '8'], 2, /--budget must be .*; got 0\/4/],
    [['convert', 'm.json', 'out', '--density', '0.5'], 2, /--block-size must be a positive integer, got nothing/],
    [['convert', 'm.json', 'out', '--density', '0.5', '--block-size', '8', '--bogus'], 2, /Unknown option '--bogus'/],
    [['convert', 'm.json', 'out', '--density', '0.5', '--block-size', '8', '--include', '('], 2, /--include: Invalid regular expression/],
    [
      ['convert', 'm.json', 'out', '--density', '0.5', '--block-size', '8', '--image-range', '0'], 2,
      /--image-range must be LOW,HIGH \(e\.g\. -1,1\), got 0/
    ],
    [
      ['convert', 'm.json', 'out', '--density', '0.5', '--block-size', '8', '--quantize', 'int4'], 2,
      /--quantize must be float16, uint8, uint16 or float32, got int4/
    ],
  ])('bad usage %j exits %i with a message', async (argv, exitCode, message) => {
    const {code, err} = await run(...argv);
    expect(code).toBe(exitCode);
    expect(err).toMatch(message);
  });

  test.each([['--help'], ['-h'], ['convert', '--help'], ['help']])('%j prints the usage and exits 0', async (...argv) => {
    const {code, out, err} = await run(...argv);
    expect(code).toBe(0);
    expect(out).toMatch(
        /^usage:\n {2}tfjs-blocksparse convert <model.json> <outDir> \(--density D \| --budget F --calibrate INPUTS\) --block-size B/);
    expect(err).toBe('');
  });

  test('a density written as a fraction (1/4) converts as its value does', async () => {
    const {code, out} =
        await run('convert', modelPath, join(dir, 'quarter'), '--density', '1/4', '--block-size', '8', '--include', 'first');
    expect(code).toBe(0);
    expect(out).toMatch(/first\s+Dense\s+\[32, 64\]\s+8\/32\s+0\.250/);
  });

  test('a conversion that converts no layer exits 1 with each layer\'s reason and writes nothing', async () => {
    const {code, out, err} = await run('convert', modelPath, join(dir, 'none'), '--density', '0.5', '--block-size', '7');
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(/no layer was converted, so nothing was written/);
    expect(err).toMatch(/first\s+Dense\s+\[32, 64\].*stays dense: block size 7 does not divide the kernel's 32 x 64/);
    expect(existsSync(join(dir, 'none'))).toBe(false);
  });

  test('converting a converted model says its layers are block-sparse already and writes nothing', async () => {
    const {code, err} =
        await run('convert', join(dir, 'sparse', 'model.json'), join(dir, 'again'), '--density', '0.5', '--block-size', '8');
    expect(code).toBe(1);
    expect(err).toMatch(/no layer was converted, so nothing was written/);
    expect(err).toMatch(/first\s+BlockSparseDense\s.*already block-sparse: left as it was/);
    expect(existsSync(join(dir, 'again'))).toBe(false);
  });

  test('a non-empty output directory is refused before the model is read', async () => {
    const {code, err} =
        await run('convert', join(dir, 'absent', 'model.json'), join(dir, 'dense'), '--density', '0.5', '--block-size', '8');
    expect(code).toBe(1);
    expect(err).toMatch(/output .*dense exists and is not an empty directory/);
  });

  test('missing, corrupt and unknown inputs exit 1 with a clear message, writing nothing', async () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'corrupt.json'), '{"modelTopology": ');
    writeFileSync(join(bad, 'nomodel.json'), '{"format": "layers-model"}');
    const json = JSON.parse(readFileSync(modelPath, 'utf8'));
    writeFileSync(
        join(bad, 'noweights.json'), JSON.stringify({...json, weightsManifest: [{...json.weightsManifest[0], paths: ['missing.bin']}]}));
    writeFileSync(join(bad, 'short.bin'), Buffer.alloc(12));
    writeFileSync(
        join(bad, 'short.json'), JSON.stringify({...json, weightsManifest: [{...json.weightsManifest[0], paths: ['short.bin']}]}));
    json.modelTopology.config.layers[0].class_name = 'Frobnicator';
    json.weightsManifest[0].paths = ['../dense/group1-shard1of1.bin'];
    writeFileSync(join(bad, 'neither.json'), JSON.stringify({...json, modelTopology: {nodes: [], library: {}}}));
    writeFileSync(join(bad, 'unknown.json'), JSON.stringify(json));
    const convert = (file: string, out: string) => run('convert', join(bad, file), join(dir, out), '--density', '0.5', '--block-size', '8');
    const cases: Array<[string, RegExp]> = [
      ['absent.json', /cannot read model .*absent\.json/],
      ['corrupt.json', /cannot read model .*corrupt\.json: .*JSON/],
      ['nomodel.json', /nomodel\.json is not a tfjs model\.json: it has no modelTopology/],
      ['noweights.json', /cannot read weight file .*missing\.bin listed in .*noweights\.json/],
      ['short.json', /weight files of .*short\.json hold 12 bytes; its manifest needs \d+/],
      ['unknown.json', /Unknown layer: Frobnicator/],
      [
        'neither.json',
        /^tfjs-blocksparse: .*neither\.json is neither a tfjs Layers model nor a graph model \(format "layers-model", modelTopology keys: nodes, library\)\n$/
      ],
    ];
    for (const [file, message] of cases) {
      const {code, err} = await convert(file, `out-${file}`);
      expect({file, code, err}).toEqual({file, code: 1, err: expect.stringMatching(message)});
      expect(existsSync(join(dir, `out-${file}`))).toBe(false);
    }
    const {code, err} = await run('convert', modelPath, join(dir, 'dense'), '--density', '0.5', '--block-size', '8');
    expect(code).toBe(1);
    expect(err).toMatch(/output .*dense exists and is not an empty directory/);
    expect(readdirSync(join(dir, 'dense')).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    expect(readdirSync(dir).filter(f => f.includes('.tmp-'))).toEqual([]);
  });

  test('quantized input in several groups and shards converts; the output keeps the input\'s encoding and tfjs reads it', async () => {
    // The dense model's weights as tensorflowjs_converter --quantize_uint8 would write them (biases float16), in two groups.
    const artifacts = (await plainLoad(join(dir, 'dense'))).artifacts;
    const encoded = quantizeWeights(
        artifacts.weightSpecs!, artifacts.weightData as ArrayBuffer, spec => spec.name.endsWith('bias') ? 'float16' : 'uint8');
    const quantizedDir = join(dir, 'quantized');
    mkdirSync(quantizedDir);
    const bytes = new Uint8Array(encoded.data);
    const firstGroupBytes = 32 * 64 + 64 * 2;
    const files: Array<[string, Uint8Array]> = [
      ['a-shard1of2.bin', bytes.subarray(0, 1000)], ['a-shard2of2.bin', bytes.subarray(1000, firstGroupBytes)],
      ['b-shard1of1.bin', bytes.subarray(firstGroupBytes)]
    ];
    files.forEach(([name, part]) => writeFileSync(join(quantizedDir, name), part));
    writeFileSync(join(quantizedDir, 'model.json'), JSON.stringify({
      modelTopology: artifacts.modelTopology,
      format: 'layers-model',
      weightsManifest: [
        {paths: ['a-shard1of2.bin', 'a-shard2of2.bin'], weights: encoded.specs.slice(0, 2)},
        {paths: ['b-shard1of1.bin'], weights: encoded.specs.slice(2)}
      ]
    }));
    const {code, out} = await run(
        'convert', join(quantizedDir, 'model.json'), join(dir, 'quantized-sparse'), '--density', '1', '--block-size', '8', '--include',
        'first|second');
    expect(code).toBe(0);
    expect(out).toMatch(/weight files: 3\.2 KiB uint8 -> 3\.1 KiB uint8 \(as the input; --quantize to change\)/);
    const {json, artifacts: sparse} = await plainLoad(join(dir, 'quantized-sparse'));
    expect(json.weightsManifest[0].weights.map(w => w.quantization?.dtype)).toEqual(['uint8', 'uint8', 'uint8', 'uint8', 'uint8', 'uint8']);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(sparse));
    expect(loaded.getLayer('first')).toBeInstanceOf(BlockSparseDense);
    const x = tf.randomNormal([4, 32], 0, 1, 'float32', 3);
    const expected = model.predict(x) as tf.Tensor;
    const error = tf.max(tf.abs(tf.sub(loaded.predict(x) as tf.Tensor, expected))).dataSync()[0];
    expect(error / tf.max(tf.abs(expected)).dataSync()[0]).toBeLessThan(0.05);
  });

  test('--quantize picks the output encoding: float16 halves the files, float32 writes no quantization', async () => {
    for (const [dtype, bytesPerValue] of [['float16', 2], ['float32', 4]] as const) {
      const {code} = await run('convert', modelPath, join(dir, `q-${dtype}`), '--density', '0.5', '--block-size', '8', '--quantize', dtype);
      expect(code).toBe(0);
      const {json, artifacts} = await plainLoad(join(dir, `q-${dtype}`));
      const values = json.weightsManifest[0].weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
      expect((artifacts.weightData as ArrayBuffer).byteLength).toBe(values * bytesPerValue);
      expect(json.weightsManifest[0].weights.every(w => w.quantization?.dtype === (dtype === 'float32' ? undefined : dtype))).toBe(true);
      const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
      expect((loaded.predict(tf.ones([1, 32])) as tf.Tensor).shape).toEqual([1, 3]);
    }
  });

  test('a graph model converts, runs with plain tf.loadGraphModel, and inspect prints its sparse nodes', async () => {
    const g = new GraphFixture();
    const x = g.placeholder('x', [-1, 32]);
    const hidden =
        g.fusedMatMul('hidden', x, g.constant('w1', seeded([32, 64], 1)), [g.constant('b1', seeded([64], 2))], ['BiasAdd', 'Relu']);
    g.matMul('logits', hidden, g.constant('w2', seeded([64, 16], 3)));
    const graph = await g.load();
    await graph.save(saveTo(join(dir, 'graph')));
    const {code, out} =
        await run('convert', join(dir, 'graph', 'model.json'), join(dir, 'graph-sparse'), '--density', '1', '--block-size', '8');
    expect(code).toBe(0);
    expect(out).toMatch(/hidden\s+_FusedMatMul\s+\[32, 64\]\s+32\/32\s+1\.000/);
    expect(out).toMatch(/load it with tf\.loadGraphModel after importing @tfjs-blocksparse\/graph /);
    const {json, artifacts} = await plainLoad(join(dir, 'graph-sparse'));
    expect((json.modelTopology as {node: Array<{name: string, op: string}>}).node.find(n => n.name === 'logits')!.op).toBe(GRAPH_MATMUL_OP);
    const sparse = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
    const input = seeded([3, 32], 4);
    const expected = graph.predict(input) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(sparse.predict(input) as tf.Tensor, expected))).dataSync()[0])
        .toBeLessThan(1e-5 * tf.max(tf.abs(expected)).dataSync()[0]);
    const inspected = await run('inspect', join(dir, 'graph-sparse', 'model.json'));
    expect(inspected.code).toBe(0);
    expect(inspected.out).toMatch(/^hidden \(BlockSparseMatMul\): block 8, grid 4x8, 32 blocks kept, density 1\.000\n {2}########\n/);
    expect(inspected.out).toMatch(/logits \(BlockSparseMatMul\): block 8, grid 8x2, 16 blocks kept/);
  });

  test('--calibrate refits the converted layers on unlabelled inputs and says how much closer the model stays', async () => {
    const inputs = join(dir, 'calibration.json');
    writeFileSync(inputs, JSON.stringify({shape: [128, 32], data: Array.from(tf.randomNormal([128, 32], 0, 1, 'float32', 7).dataSync())}));
    const {code, out} =
        await run('convert', modelPath, join(dir, 'calibrated'), '--density', '0.25', '--block-size', '8', '--calibrate', inputs);
    expect(code).toBe(0);
    expect(out).toMatch(/output error: magnitude -> calibrated/);
    expect(out).toMatch(/first\s+Dense\s+\[32, 64\]\s+8\/32\s+0\.250\s+[\d.]+\s+[\d.]+ -> [\d.]+/);
    // The head stays dense (3 outputs) and is refit to what the original head computed.
    expect(out).toMatch(/head\s+Dense\s+\[16, 3\].*[\d.]+ -> [\d.]+ \(dense, refit\).*stays dense/);
    const [, magnitude, calibrated] =
        /calibrated on 128 inputs in [\d.]+ s: relative error with the original on them, magnitude pruning ([\d.]+) -> calibrated ([\d.]+)/
            .exec(out)!;
    expect(Number(calibrated)).toBeLessThan(Number(magnitude));
    expect(out).toMatch(/multiply-adds of the calibrated layers per input: 3072 -> 768 \(25\.0%\)/);

    // --damping reaches the refit: pulled hard to the original weights, the kept blocks are barely refit.
    const stiff = await run(
        'convert', modelPath, join(dir, 'stiff'), '--density', '0.25', '--block-size', '8', '--calibrate', inputs, '--damping', '1e6');
    expect(stiff.code).toBe(0);
    const [, stiffError] = /magnitude pruning [\d.]+ -> calibrated ([\d.]+)/.exec(stiff.out)!;
    expect(Number(stiffError)).toBeGreaterThan(1.1 * Number(calibrated));

    const budget = await run('convert', modelPath, join(dir, 'budget'), '--budget', '0.5', '--block-size', '8', '--calibrate', inputs);
    expect(budget.code).toBe(0);
    const [, percent] = /multiply-adds of the calibrated layers per input: 3072 -> \d+ \(([\d.]+)%\)/.exec(budget.out)!;
    expect(Number(percent)).toBeLessThanOrEqual(50);
    expect(budget.out)
        .toMatch(
            /budget 0\.5: model output error on the calibration inputs [\d.]+ with densities per layer, [\d.]+ with 0\.5 for all: kept (densities per layer|0\.5 for all)/);

    // --tolerance: measured on the held-out fifth of the inputs; a loose one keeps every layer converted, one below
    // its error keeps layers dense until the model is within it.
    const loose = await run(
        'convert', modelPath, join(dir, 'loose'), '--density', '0.25', '--block-size', '8', '--calibrate', inputs, '--tolerance', '10');
    const [, converted] =
        /tolerance 10: model output error on 26 held-out calibration inputs ([\d.]+) as converted, \1 with 0 layers kept dense$/m.exec(
            loose.out)!;
    const tolerance = String(Number((Number(converted) * 0.97).toFixed(4)));
    const tolerant = await run(
        'convert', modelPath, join(dir, 'tolerant'), '--density', '0.25', '--block-size', '8', '--calibrate', inputs, '--tolerance',
        tolerance);
    expect(tolerant.code).toBe(0);
    const [, asConverted, kept, keptDense] =
        new RegExp(
            `tolerance ${
                tolerance}: model output error on 26 held-out calibration inputs ([\\d.]+) as converted, ([\\d.]+) with (\\d+) layers? kept dense`)
            .exec(tolerant.out)!;
    // Progress names each conversion a tolerance runs.
    expect(tolerant.err).toMatch(/converting: first.*ranking 1\/2: first.*ranking 2\/2: .*1 dense: /s);
    expect(Number(asConverted)).toBeGreaterThan(Number(tolerance));
    expect(Number(kept)).toBeLessThanOrEqual(Number(tolerance));
    expect(tolerant.out.match(/stays dense: listed in keepDense/g)?.length).toBe(Number(keptDense));
  });

  test('--calibrate on a graph model with two outputs made for batches of one (as Human\'s faceres and MoveNet)', async () => {
    const g = new GraphFixture();
    const hidden = g.fusedMatMul(
        'hidden', g.placeholder('x', [1, 32]), g.constant('w1', seeded([32, 64], 11)), [g.constant('b1', seeded([64], 12))],
        ['BiasAdd', 'Relu']);
    g.matMul('logits', hidden, g.constant('w2', seeded([64, 16], 13)));
    g.matMul('embedding', hidden, g.constant('w3', seeded([64, 32], 14)));
    const graph = await g.load();
    expect(graph.outputs.length).toBe(2);
    await graph.save(saveTo(join(dir, 'two-outputs')));
    const inputs = join(dir, 'calibration-two-outputs.json');
    writeFileSync(inputs, JSON.stringify({shape: [64, 32], data: Array.from(seeded([64, 32], 15).dataSync())}));
    const {code, out, err} = await run(
        'convert', join(dir, 'two-outputs', 'model.json'), join(dir, 'two-outputs-sparse'), '--density', '0.5', '--block-size', '8',
        '--calibrate', inputs);
    expect({code, error: err.match(/tfjs-blocksparse: .*/)?.[0]}).toEqual({code: 0, error: undefined});
    const [, magnitude, calibrated] =
        /calibrated on 64 inputs in [\d.]+ s: relative error with the original on them, magnitude pruning ([\d.]+) -> calibrated ([\d.]+)/
            .exec(out)!;
    expect(Number(calibrated)).toBeLessThan(Number(magnitude));
    // distill takes models with one output: refused before any conversion work, nothing written.
    const refused = await run(
        'convert', join(dir, 'two-outputs', 'model.json'), join(dir, 'two-outputs-distilled'), '--density', '0.5', '--block-size', '8',
        '--distill', inputs);
    expect(refused.code).toBe(1);
    expect(refused.err).toBe('tfjs-blocksparse: distill: the model has 2 outputs; distill takes models with one\n');
    expect(existsSync(join(dir, 'two-outputs-distilled'))).toBe(false);
  });

  test('bad calibration inputs or flags: one clear line, nothing written', async () => {
    const empty = join(dir, 'no-inputs');
    mkdirSync(empty);
    const notImage = join(dir, 'notes.txt');
    writeFileSync(notImage, 'not an image');
    const wrongShape = join(dir, 'wrong-shape.json');
    writeFileSync(wrongShape, JSON.stringify({shape: [4, 16], data: new Array(64).fill(0)}));
    const cases: Array<[string[], RegExp]> = [
      [['--density', '0.5', '--calibrate', empty], /no inputs in .*no-inputs: expected \.png, \.jpg, \.npy or \.json files/],
      [['--density', '0.5', '--calibrate', notImage], /notes\.txt: not an input file/],
      [['--density', '0.5', '--calibrate', wrongShape], /wrong-shape\.json.*\[4,16\].*\[32\]|\[32\].*\[4,16\]/],
      [['--budget', '0.5'], /--budget needs --calibrate INPUTS/],
      [['--density', '0.5', '--damping', '0.01'], /--damping needs --calibrate INPUTS/],
      [['--density', '0.5', '--tolerance', '0.1'], /--tolerance needs --calibrate INPUTS/],
      [['--density', '0.5', '--calibrate', wrongShape, '--tolerance=-1'], /--tolerance must be a number >= 0, got -1/],
      [['--density', '0.5', '--calibrate', wrongShape, '--damping', '0'], /--damping must be a positive number, got 0/],
      [['--budget', '0.5', '--density', '0.5', '--calibrate', wrongShape], /--budget replaces --density/],
      [['--density', '0.5', '--backend', 'gpu'], /--backend must be cpu or wasm, got gpu/],
      [['--density', '0.5', '--learning-rate', '0'], /--learning-rate must be a positive number, got 0/],
      [['--density', '0.5', '--batch-size', '2.5'], /--batch-size must be a positive integer, got 2\.5/],
      [['--density', '0.5', '--int8', '--float16'], /--int8 and --float16 both say how the blocks are kept: give one of them/]
    ];
    for (const [flags, message] of cases) {
      const target = join(dir, 'never-written');
      const {code, err} = await run('convert', modelPath, target, '--block-size', '8', ...flags);
      expect([flags.join(' '), code]).toEqual([flags.join(' '), code === 2 ? 2 : 1]);
      expect(err.split('\n')[0]).toMatch(message);
      expect(existsSync(target)).toBe(false);
    }
  });

  test('--distill fine-tunes the converted model towards the original on unlabelled inputs and reports agreement', async () => {
    const inputs = join(dir, 'unlabelled');
    mkdirSync(inputs);
    writeFileSync(
        join(inputs, 'batch.json'),
        JSON.stringify({shape: [200, 32], data: Array.from(tf.randomNormal([200, 32], 0, 1, 'float32', 9).dataSync())}));
    const {code, out, err} = await run(
        'convert', modelPath, join(dir, 'distilled'), '--density', '0.25', '--block-size', '8', '--distill', inputs, '--epochs', '12',
        '--learning-rate', '0.001', '--batch-size', '32');
    expect(code).toBe(0);
    expect(err).toMatch(/distill epoch 12\/12 loss /);
    const [, trainCount, epochs, before, after] =
        /distill on (\d+) inputs from .*unlabelled, (\d+) epochs.*: relative error with the original on 40 held-out inputs ([\d.]+) -> ([\d.]+)/
            .exec(out)!;
    expect([Number(trainCount), Number(epochs)]).toEqual([160, 12]);
    expect(Number(after)).toBeLessThan(Number(before) * 0.95);
    const loaded = await tf.loadLayersModel(loadFrom(join(dir, 'distilled', 'model.json')));
    expect(loaded.getLayer('first')).toBeInstanceOf(BlockSparseDense);
  });
});
