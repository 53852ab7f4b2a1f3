// npm run bench [-- --backend cpu,wasm,webgpu,browser-webgl,browser-webgpu,browser-wasm] [--size quick|standard|large] [--quick]
//                  [--rows M] [--runs N] [--ops matMul,conv2d]
//                  [--block-sizes 8,16,32] [--densities 1,1/2,1/4,1/8,1/16]
// npm run bench -- --models [--backend ...] [--runs N] [--model-names sentiment,text,...] [--profile]
//                  [--model-density 1/4] [--only-faster] [--model-exclude REGEX] [--int8]
//                  [--model-block-size 8] (the published models' blocks)
// npm run bench -- --int8 [--backend cpu,wasm,browser-wasm] [--rows M] [--block-sizes 32] [--densities 1/4,1/8]
// Times block-sparse ops against tf.matMul / tf.conv2d on the same backend in
// the same run and writes bench-results/<backend>.{json,md,svg}. cpu, wasm
// and webgpu run in Node (webgpu through Dawn); browser-* run in headless
// Chromium from a localhost page (cross-origin isolated, so wasm may use threads).
// --int8 times x·W (K = N = 4096) with float32, int8 and float16 blocks and tf.matMul
// and writes bench-results/int8-<backend>.{json,md}; with --models, the converted
// models also with int8 and with float16 blocks.
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {parseArgs} from 'node:util';

import {INT8_SIZES, opSizes, runBenchmarks, SIZES} from './bench/cases.mjs';
import {formatInt8Table, formatModelTable, formatTable, speedupPlot} from './bench/report.mjs';

const {values: args} = parseArgs({
  options: {
    backend: {type: 'string', default: 'cpu,webgpu'},
    size: {type: 'string', default: 'standard'},
    rows: {type: 'string'},
    quick: {type: 'boolean', default: false},
    runs: {type: 'string'},
    models: {type: 'boolean', default: false},
    int8: {type: 'boolean', default: false},
    'model-names': {type: 'string'},
    profile: {type: 'boolean', default: false},
    'model-density': {type: 'string', default: '1/4'},
    'only-faster': {type: 'boolean', default: false},
    'model-exclude': {type: 'string'},
    'model-block-size': {type: 'string', default: '8'},
    ops: {type: 'string', default: 'matMul,conv2d'},
    'block-sizes': {type: 'string'},
    densities: {type: 'string'},
  }
});

const require = createRequire(import.meta.url);

const backends = args.backend.split(',');
const size = args.quick ? 'quick' : args.size;
if (!(size in SIZES)) {
  console.error(`--size: ${size} is not one of ${Object.keys(SIZES).join(', ')}`);
  process.exit(2);
}
/** A flag's value as a positive integer; exits with a message when it is not one. */
const positiveInteger = (flag, text) => {
  const value = Number(text);
  if (!(Number.isInteger(value) && value > 0)) {
    console.error(`--${flag}: ${text} is not a positive integer`);
    process.exit(2);
  }
  return value;
};
const matMulRows = args.rows == null ? null : positiveInteger('rows', args.rows);
const runs = args.runs == null ? undefined : positiveInteger('runs', args.runs);
// Results of a run at other sizes go to their own files, beside the standard ones.
const sizeSuffix = [size === 'standard' ? '' : `-${size}`, matMulRows == null ? '' : `-rows${matMulRows}`].join('');
const sizeNote = sizeSuffix === '' ? '' : ` (${sizeSuffix.slice(1)})`;
const describeSizes = ops => ops.map(op => {
                                  const s = opSizes(size, op, matMulRows);
                                  return op === 'matMul' ?
                                      `matMul ${s.batch}x${s.inputSize} by ${s.inputSize}x${s.outputSize}` :
                                      `conv2d ${s.batch}x${s.height}x${s.width}x${s.inputSize}, ${s.filter}x${s.filter} to ${s.outputSize}`;
                                })
                                 .join('; ');
const fraction = (text, flag = 'densities') => {
  const [a, b = '1'] = text.split('/');
  const value = Number(a) / Number(b);
  if (!(value > 0 && value <= 1)) {
    console.error(`--${flag}: ${text} is not a fraction in (0, 1]`);
    process.exit(2);
  }
  return value;
};
const options = {
  size,
  matMulRows,
  runs: runs ?? 3,
  ops: args.ops.split(','),
  blockSizes: (args['block-sizes'] ?? (args.int8 ? '32' : '8,16,32')).split(',').map(b => positiveInteger('block-sizes', b)),
  densities: (args.densities ?? (args.int8 ? '1/4,1/8' : '1,1/2,1/4,1/8,1/16')).split(',').map(fraction),
  ...(args.int8 && !args.models && {int8: true, batches: matMulRows == null ? INT8_SIZES.batches : [matMulRows]}),
};
const logInt8Row = r => console.log(`int8 batch ${r.batch} bs=${r.blockSize} density=1/${Math.round(1 / r.density)}: dense ${
    r.denseMs.toFixed(2)} ms, float32 blocks ${r.floatMs.toFixed(2)} ms, int8 blocks ${r.int8Ms.toFixed(2)} ms, ${
    r.int8OverFloat.toFixed(2)}x over float32 blocks, float16 blocks ${r.halfMs.toFixed(2)} ms, ${r.halfOverFloat.toFixed(2)}x${
    r.denseKernelMs == null ?
        '' :
        `; GPU: int8 ${r.int8OverFloatKernel.toFixed(2)}x, float16 ${r.halfOverFloatKernel.toFixed(2)}x over float32 blocks`}`);
const logRow = r => r.int8 ? logInt8Row(r) :
    r.skipped              ? console.log(r.skipped) :
                             console.log(`${r.op} ${r.mode} bs=${r.blockSize} density=1/${Math.round(1 / r.density)}: dense ${
                    r.denseMs.toFixed(1)} ms, sparse ${r.sparseMs.toFixed(1)} ms, ${r.speedup.toFixed(2)}x`);

function writeResults(backend, machine, rows) {
  const title = `Block-sparse vs dense (${describeSizes([...new Set(rows.map(r => r.op))])}), ${machine}`;
  mkdirSync('bench-results', {recursive: true});
  const base = `bench-results/${backend}${sizeSuffix}`;
  writeFileSync(`${base}.json`, JSON.stringify({machine, size, date: new Date().toISOString(), rows}, null, 2));
  writeFileSync(`${base}.md`, formatTable(rows, title) + '\n');
  writeFileSync(`${base}.svg`, speedupPlot(rows, title));
  console.log('\n' + formatTable(rows, title));
  console.log(`\nWrote ${base}.json, .md and .svg`);
}

function writeInt8Results(backend, machine, rows) {
  const title =
      `x·W, K = N = ${INT8_SIZES.inputSize}: tf.matMul (dense float32) against float32, int8 and float16 blocks; median wall ms of ${
          options.runs} interleaved samples, ${machine}`;
  mkdirSync('bench-results', {recursive: true});
  const base = `bench-results/int8-${backend}`;
  writeFileSync(`${base}.json`, JSON.stringify({machine, date: new Date().toISOString(), rows}, null, 2));
  writeFileSync(`${base}.md`, formatInt8Table(rows, title) + '\n');
  console.log('\n' + formatInt8Table(rows, title));
  console.log(`\nWrote ${base}.json and .md`);
}

function writeModelResults(backend, machine, rows) {
  const title = `Whole models, dense vs block-sparse: ms per call, each call's output read back; median (min–max) of ${
      modelOptions.runs} samples, ${machine}`;
  mkdirSync('bench-results', {recursive: true});
  // A run of some models writes beside the full table, not over it.
  const conversion = `${args['model-density'] === '1/4' ? '' : `-density${args['model-density'].replace('/', 'of')}`}${
      args['only-faster'] ? '-only-faster' : ''}${args['model-exclude'] == null ? '' : '-exclude'}${args.int8 ? '-int8' : ''}${
      args['model-block-size'] === '8' ? '' : `-block${args['model-block-size']}`}`;
  const base = `bench-results/models-${backend}${modelOptions.names ? `-${modelOptions.names.join('-')}` : ''}${conversion}`;
  writeFileSync(`${base}.json`, JSON.stringify({machine, date: new Date().toISOString(), rows}, null, 2));
  writeFileSync(`${base}.md`, formatModelTable(rows, title) + '\n');
  console.log('\n' + formatModelTable(rows, title));
  console.log(`\nWrote ${base}.json and .md`);
}
const logModelRow = r => console.log(
    `${r.model} batch ${r.batch}: dense ${r.dense.median.toFixed(2)} ms, sparse ${r.sparse.median.toFixed(2)} ms, ${r.speedup.toFixed(2)}x${
        r.int8 == null ?
            '' :
            `; int8 blocks ${r.int8.median.toFixed(2)} ms, ${r.int8Speedup.toFixed(2)}x (${
                r.int8OverFloat.toFixed(
                    2)}x over float32 blocks); float16 blocks ${r.float16.median.toFixed(2)} ms (${r.halfOverFloat.toFixed(2)}x)`}${
        r.gpu == null ? '' :
                        `; GPU: dense ${r.gpu.dense.toFixed(3)} ms, sparse ${r.gpu.sparse.toFixed(3)} ms, ${r.gpuSpeedup.toFixed(2)}x`}`);

let adapterInfo = null;
if (backends.includes('webgpu')) {
  const {setUpDawn} = await import('./webgpu_node.mjs');
  adapterInfo = await setUpDawn({timestamps: true});
}
const tf = require('@tensorflow/tfjs');
const tfbs = require('@tfjs-blocksparse/core');
require('@tfjs-blocksparse/backend-cpu');
if (backends.includes('webgpu')) {
  require('@tensorflow/tfjs-backend-webgpu');
  require('@tfjs-blocksparse/backend-webgpu');
}
const tfWasm = backends.includes('wasm') ? require('@tensorflow/tfjs-backend-wasm') : null;
const blockSparseWasm = tfWasm == null ? null : require('@tfjs-blocksparse/backend-wasm');
await blockSparseWasm?.blockSparseWasmReady();
const models = args.models ? await import('./bench/models.mjs') : null;
// The models bench's converted pairs are made once, here on cpu (the converter runs in Node), and saved for every runner.
const converter = models == null ? null : require('@tfjs-blocksparse/converter');
const convertedIndex = `${models?.CONVERTED_DIRECTORY}/index.json`;
if (models != null) {
  // The conversion computes on cpu; --only-faster times each layer where the models will run: on the first Node backend asked for.
  const timeOn = args['only-faster'] ? backends.find(b => !b.startsWith('browser-')) ?? 'cpu' : undefined;
  await tf.setBackend('cpu');
  rmSync(models.CONVERTED_DIRECTORY, {recursive: true, force: true});
  const conversion = {
    density: fraction(args['model-density'], 'model-density'),
    onlyFaster: args['only-faster'],
    timeOn,
    exclude: args['model-exclude'] == null ? undefined : new RegExp(args['model-exclude']),
    int8: args.int8,
    blockSize: positiveInteger('model-block-size', args['model-block-size']),
    names: args['model-names']?.split(',')
  };
  console.log(`Converting the models at density ${args['model-density']}${args['only-faster'] ? `, only layers faster on ${timeOn}` : ''}`);
  const index = await models.convertModels(converter, require('./published_models.cjs'), conversion);
  mkdirSync(models.CONVERTED_DIRECTORY, {recursive: true});
  writeFileSync(convertedIndex, JSON.stringify(index, null, 2));
}
const modelOptions = {
  runs: runs ?? 5,
  names: args['model-names']?.split(','),
  profile: args.profile
};

for (const backend of backends.filter(b => b.startsWith('browser-'))) {
  const {runInBrowser, runModelsInBrowser} = await import('./bench/browser.mjs');
  const name = backend.slice('browser-'.length);
  console.log(`Benchmarking ${models ? 'whole models' : 'ops'} on ${name} in headless Chromium${models ? '' : sizeNote}`);
  const {rows, renderer, userAgent} = models ? await runModelsInBrowser(name, modelOptions) : await runInBrowser(name, options);
  rows.forEach(models ? logModelRow : logRow);
  const machine = `${name} backend in headless Chromium (${userAgent.match(/Chrome\/[\d.]+/)?.[0]}${renderer ? `, ${renderer}` : ''})`;
  (models ? writeModelResults : options.int8 ? writeInt8Results : writeResults)(backend, machine, rows);
}

for (const backend of backends.filter(b => !b.startsWith('browser-'))) {
  if (!(await tf.setBackend(backend))) {
    throw new Error(`backend ${backend} could not be initialised`);
  }
  const driver = backend === 'webgpu' ?
      `, Dawn on ${[adapterInfo.vendor, adapterInfo.device, adapterInfo.description].filter(Boolean).join(' ')} (VK_ICD_FILENAMES=${
          process.env.VK_ICD_FILENAMES})` :
      '';
  const threads = backend === 'wasm' ? ` (SIMD${blockSparseWasm.blockSparseWasmRelaxedSimd() ? ', kernels with relaxed SIMD' : ''}, ${
                                           tfWasm.getThreadsCount()} thread${tfWasm.getThreadsCount() > 1 ? 's' : ''})` :
                                       '';
  const machine = `${backend} backend${threads}${driver}, tfjs ${tf.version.tfjs}, Node ${process.version}`;
  if (models) {
    console.log(`Benchmarking whole models on ${machine}`);
    const converted = await models.loadConverted(JSON.parse(readFileSync(convertedIndex, 'utf8')), converter.loadFrom);
    writeModelResults(backend, machine, await models.runModelBenchmarks({...modelOptions, converted, log: logModelRow}));
  } else {
    console.log(`Benchmarking on ${machine}${options.int8 ? ' (int8 blocks)' : sizeNote}`);
    (options.int8 ? writeInt8Results : writeResults)(backend, machine, await runBenchmarks(tf, tfbs, {...options, log: logRow}));
  }
}
process.exit(0);
