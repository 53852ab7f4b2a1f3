import * as tf from '@tensorflow/tfjs';
import '@tfjs-blocksparse/backend-cpu';
import {BlockLayout} from '@tfjs-blocksparse/core';
import {GRAPH_CONV2D_OP, GRAPH_MATMUL_OP, graphNodeLayout} from '@tfjs-blocksparse/graph';
import {BlockSparseConv2D, BlockSparseDense, BlockSparseLSTMCell} from '@tfjs-blocksparse/layers';
import {mkdirSync, writeFileSync} from 'fs';
import {join} from 'path';
import {parseArgs} from 'util';

import {float16Blocks, int8Blocks} from './quantized_blocks';
import {checkDistillable, distill} from './distill';
import {fidelityOf} from './fidelity';
import {readInputs} from './node_inputs';
import {checkOutputDirectory, ModelFormat, readModel, saveTo, weightBytes} from './node_io';
import {maskToPng} from './png';
import {QUANTIZE_DTYPES, QuantizeDtype, storedWeights} from './quantize';
import {formatBytes, formatReport} from './report';
import {NodeDef} from './sparsify_graph';
import {sparsifyModel} from './sparsify_model';
import {convertedDensities, SparsifyOptions, SparsifyReport} from './sparsify_weight';

const USAGE = `usage:
  tfjs-blocksparse convert <model.json> <outDir> (--density D | --budget F --calibrate INPUTS) --block-size B
                   [--calibrate INPUTS [--damping F] [--tolerance E]] [--include REGEX] [--exclude REGEX] [--layout magnitude|random|smallWorld]
                   [--seed N] [--quantize float16|uint8|uint16|float32] [--image-range LOW,HIGH] [--backend cpu|wasm]
                   [--only-faster] [--distill INPUTS [--epochs N] [--learning-rate F] [--batch-size N]] [--int8 | --float16]
  tfjs-blocksparse inspect <model.json> [--png DIR]
  tfjs-blocksparse --help

<model.json>: a tfjs Layers model (Dense and Conv2D layers are converted) or graph model (MatMul, BatchMatMul,
_FusedMatMul, Conv2D and FusedConv2D nodes with a constant weight), weights float32 or quantized.
D, F: the fraction of blocks (of multiply-adds) kept, in (0, 1]: 0.25 or 1/4.
INPUTS: unlabelled inputs (no labels needed): a folder of .png/.jpg images (resized, pixels mapped to
--image-range, default 0,1) or .npy/.json tensors, or 'generated' (random inputs: a last resort).
--calibrate: one-shot reconstruction: each converted layer keeps the blocks that matter most to its output on
these inputs and is refit to reproduce the original layer's output (a few hundred inputs; no training).
--damping: how strongly that refit is pulled towards the original weights, a fraction of the inputs' mean
second moment (default 0.001; raise it when the calibration inputs are few or alike).
--budget: keep this fraction of the calibrated layers' multiply-adds, each layer's density chosen by how much
its output suffers, or the fraction as one density for all where that follows the original more closely on
the calibration inputs (needs --calibrate; replaces --density).
--tolerance: the most the converted model's outputs may differ from the original's (relative error, e.g. 0.05)
on a fifth of the calibration inputs held out from calibration: above it, the layers whose conversion alone errs
most are kept dense, as few as a bisection finds (each try another calibration; needs --calibrate).
--quantize: how the output's weights are stored (tfjs manifest quantization, read by tfjs's own loaders);
default: as the input's. Written as float32, each batch norm is folded into the conv or dense layer before
it (its ReLU too): one fused call where there were three.
--distill: fine-tune the converted model to reproduce the original's outputs on these inputs (Adam, default
learning rate 0.001, batches of 32, or of the size a graph is made for); reports agreement with the original
before and after.
--backend: where calibration and distillation compute and --only-faster times: cpu (default) or wasm
(tfjs-backend-wasm with @tfjs-blocksparse/backend-wasm, several times faster; both must be installed).
--only-faster: time each layer at batch 1 on --backend, dense against block-sparse, and keep dense the
layers that would not be faster (the report says so): the converted model is never slower layer by layer.
--int8: the converted layers keep their blocks as int8 with a scale per output channel (last, after
--distill): a quarter of their memory, read as int8 by the kernels of every backend; the other weights are stored as --quantize says.
--float16: the converted layers keep their blocks as float16 (last, after --distill): half their memory,
read as float16 by the kernels of every backend, each weight within
2^-11 of its float32 value, relatively.
--seed: seeds the random and small-world layouts and the order distill visits inputs in (default 0).`;

/** What a user needs to run the converted model, on any backend. */
function loadingNote(format: ModelFormat): string {
  const [load, ops] =
      format === 'graph-model' ? ['tf.loadGraphModel', '@tfjs-blocksparse/graph'] : ['tf.loadLayersModel', '@tfjs-blocksparse/layers'];
  return `load it with ${load} after importing ${ops} and the kernels of your backend: ` +
      '@tfjs-blocksparse/backend-webgpu, backend-webgl, backend-wasm (tfjs-backend-wasm, WebAssembly SIMD) or backend-cpu';
}

class UsageError extends Error {}

export interface CliOutput {
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultOutput: CliOutput = {
  out: text => process.stdout.write(text),
  err: text => process.stderr.write(text)
};

/** Runs the CLI; resolves to the exit code (0 ok, 1 failure, 2 bad usage). */
export async function main(argv: string[], output: CliOutput = defaultOutput): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h') || argv[0] === 'help') {
    output.out(`${USAGE}\n`);
    return 0;
  }
  try {
    const [command, ...rest] = argv;
    if (command === 'convert') {
      await convert(rest, output);
    } else if (command === 'inspect') {
      await inspect(rest, output);
    } else {
      throw new UsageError(command == null ? 'no command given' : `unknown command '${command}'`);
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      output.err(`tfjs-blocksparse: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    output.err(`tfjs-blocksparse: ${(e as Error).message}\n`);
    return 1;
  }
}

function parse(args: string[], options: NonNullable<Parameters<typeof parseArgs>[0]>['options'], positionals: string[]):
    {values: Record<string, string|undefined>, positionals: string[]} {
  let parsed;
  try {
    parsed = parseArgs({args, options, allowPositionals: true, strict: true});
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (parsed.positionals.length !== positionals.length) {
    const given = parsed.positionals.length;
    throw new UsageError(`expected ${positionals.join(' ')}, got ${given} argument${given === 1 ? '' : 's'}`);
  }
  return {values: parsed.values as Record<string, string|undefined>, positionals: parsed.positionals};
}

function numberFlag(value: unknown, flag: string, check: (n: number) => boolean, what: string): number {
  const n = Number(value);
  if (value == null || !check(n)) {
    throw new UsageError(`--${flag} must be ${what}, got ${value ?? 'nothing'}`);
  }
  return n;
}

/** A fraction in (0, 1], written as a number (0.25) or as one whole number over another (1/4). */
function fractionFlag(value: unknown, flag: string): number {
  const ratio = typeof value === 'string' ? /^(\d+)\/(\d+)$/.exec(value.trim()) : null;
  const n = ratio != null ? Number(ratio[1]) / Number(ratio[2]) : Number(value);
  if (value == null || !(n > 0 && n <= 1)) {
    throw new UsageError(`--${flag} must be a number in (0, 1], as 0.25 or 1/4; got ${value ?? 'nothing'}`);
  }
  return n;
}

function regexFlag(value: unknown, flag: string): RegExp|undefined {
  if (value == null) {
    return undefined;
  }
  try {
    return new RegExp(value as string);
  } catch (e) {
    throw new UsageError(`--${flag}: ${(e as Error).message}`);
  }
}

async function convert(args: string[], output: CliOutput) {
  const {values, positionals: [modelPath, outDir]} = parse(
      args, {
        'density': {type: 'string'},
        'block-size': {type: 'string'},
        'include': {type: 'string'},
        'exclude': {type: 'string'},
        'layout': {type: 'string'},
        'seed': {type: 'string'},
        'quantize': {type: 'string'},
        'distill': {type: 'string'},
        'epochs': {type: 'string'},
        'image-range': {type: 'string'},
        'calibrate': {type: 'string'},
        'budget': {type: 'string'},
        'tolerance': {type: 'string'},
        'damping': {type: 'string'},
        'backend': {type: 'string'},
        'learning-rate': {type: 'string'},
        'batch-size': {type: 'string'},
        'only-faster': {type: 'boolean'},
        'int8': {type: 'boolean'},
        'float16': {type: 'boolean'}
      },
      ['<model.json>', '<outDir>']);
  const learningRate =
      values['learning-rate'] == null ? undefined : numberFlag(values['learning-rate'], 'learning-rate', n => n > 0, 'a positive number');
  const batchSize = values['batch-size'] == null ?
      undefined :
      numberFlag(values['batch-size'], 'batch-size', n => Number.isInteger(n) && n > 0, 'a positive integer');
  const budget = values['budget'] == null ? undefined : fractionFlag(values['budget'], 'budget');
  if (budget != null && (values['calibrate'] == null || values['density'] != null)) {
    throw new UsageError(
        values['calibrate'] == null ? '--budget needs --calibrate INPUTS (its layers\' sensitivity is measured on them)' :
                                      '--budget replaces --density: give one of them');
  }
  const tolerance = values['tolerance'] == null ? undefined : numberFlag(values['tolerance'], 'tolerance', n => n >= 0, 'a number >= 0');
  if (tolerance != null && values['calibrate'] == null) {
    throw new UsageError('--tolerance needs --calibrate INPUTS (the output error is measured on them)');
  }
  if (values['damping'] != null && values['calibrate'] == null) {
    throw new UsageError('--damping needs --calibrate INPUTS (it weighs the refit to them)');
  }
  const damping = values['damping'] == null ? undefined : numberFlag(values['damping'], 'damping', n => n > 0, 'a positive number');
  const density = budget != null ? 1 : fractionFlag(values['density'], 'density');
  const backend = values['backend'] ?? 'cpu';
  if (!['cpu', 'wasm'].includes(backend)) {
    throw new UsageError(`--backend must be cpu or wasm, got ${backend}`);
  }
  const blockSize = numberFlag(values['block-size'], 'block-size', n => Number.isInteger(n) && n > 0, 'a positive integer');
  const layout = (values['layout'] ?? 'magnitude') as 'magnitude' | 'random' | 'smallWorld';
  if (!['magnitude', 'random', 'smallWorld'].includes(layout)) {
    throw new UsageError(`--layout must be magnitude, random or smallWorld, got ${layout}`);
  }
  const blocksFormat = (values['int8'] as unknown) === true ? 'int8' : (values['float16'] as unknown) === true ? 'float16' : undefined;
  if ((values['int8'] as unknown) === true && (values['float16'] as unknown) === true) {
    throw new UsageError('--int8 and --float16 both say how the blocks are kept: give one of them');
  }
  const quantizeFlag = values['quantize'];
  if (quantizeFlag != null && !['float32', ...QUANTIZE_DTYPES].includes(quantizeFlag)) {
    throw new UsageError(`--quantize must be ${QUANTIZE_DTYPES.join(', ')} or float32, got ${quantizeFlag}`);
  }
  const seed = values['seed'] == null ? 0 : numberFlag(values['seed'], 'seed', Number.isInteger, 'an integer');
  const include = regexFlag(values['include'], 'include');
  const exclude = regexFlag(values['exclude'], 'exclude');
  const epochs =
      values['epochs'] == null ? 20 : numberFlag(values['epochs'], 'epochs', n => Number.isInteger(n) && n >= 0, 'a whole number');
  const imageRange = values['image-range']?.split(',').map(Number) as [number, number] | undefined;
  if (imageRange != null && (imageRange.length !== 2 || !imageRange.every(Number.isFinite))) {
    throw new UsageError(`--image-range must be LOW,HIGH (e.g. -1,1), got ${values['image-range']}`);
  }
  // Before the (possibly long) load and conversion, not after.
  checkOutputDirectory(outDir);
  await useBackend(backend);
  const {artifacts, format, model} = await readModel(modelPath);
  if (values['distill'] != null) {
    // distill's refusals before the conversion's work, not after it.
    checkDistillable(model, batchSize);
  }
  const inputDtype = storedDtype(artifacts.weightSpecs ?? []);
  const outputDtype = (quantizeFlag ?? inputDtype) as QuantizeDtype | 'float32';
  // Folded norm scales change stored weights: written as uint8, uint16 or float16 they would lose precision.
  const foldNorms = outputDtype === 'float32';
  const calibration = values['calibrate'] == null ? undefined : readModelInputs(model, values['calibrate'], imageRange, '--calibrate');
  try {
    const onProgress = (done: number, total: number, name: string) =>
        output.err(`\r${progressBar(done, total)} ${done}/${total} ${name}`.padEnd(60));
    const started = Date.now();
    const converted = await sparsifyModel(model, {
      density,
      blockSize,
      layout,
      seed,
      include,
      exclude,
      budget,
      tolerance,
      onProgress,
      onlyFaster: (values['only-faster'] as unknown) === true,
      foldBatchNorm: foldNorms,
      calibrate: calibration == null ? undefined : {inputs: calibration, damping}
    });
    const report = converted.report;
    let sparse = converted.model;
    output.err('\n');
    if (report.totals.converted === 0) {
      throw new Error(`no layer was converted, so nothing was written:\n${formatReport(report)}`);
    }
    let summary = '';
    if (calibration != null) {
      summary = await calibrationSummary(
          model, sparse, report, calibration, {density, blockSize, seed, include, exclude, keepDense: report.tolerance?.keptDense},
          Date.now() - started);
    }
    if (values['distill'] != null) {
      const distilled = await distillCli(model, sparse, values['distill'], {epochs, imageRange, seed, learningRate, batchSize}, output);
      sparse = distilled.model;
      summary += distilled.summary;
    }
    if (blocksFormat != null) {
      const {model: quantized, report: blocksReport} = await (blocksFormat === 'int8' ? int8Blocks(sparse) : float16Blocks(sparse));
      sparse.dispose();
      sparse = quantized;
      summary += `${blocksFormat} blocks: ${blocksReport.layers.length} layers, their kernels ${formatBytes(blocksReport.bytesBefore)} -> ${
          formatBytes(blocksReport.bytesAfter)} in memory (cpu, wasm and webgpu read them as ${blocksFormat})\n`;
    }
    await write(sparse, report, summary);
  } finally {
    calibration?.dispose();
  }

  async function write(sparse: tf.LayersModel|tf.GraphModel, report: SparsifyReport, summary: string) {
    const saved = await sparse.save(saveTo(outDir, {
      quantize: outputDtype === 'float32' ? undefined : () => outputDtype,
      originals: storedWeights(artifacts.weightSpecs ?? [], tf.io.concatenateArrayBuffers(artifacts.weightData ?? []))
    }));
    const bytesAfter = saved.modelArtifactsInfo.weightDataBytes ?? 0;
    output.out(
        `${formatReport(report)}\n\n${summary}` +
        `weight files: ${formatBytes(weightBytes(artifacts.weightSpecs ?? []))} ${inputDtype} -> ${formatBytes(bytesAfter)} ${
            outputDtype}` +
        `${quantizeFlag == null ? ' (as the input; --quantize to change)' : ''}\n` +
        (foldNorms ? '' :
                     `batch norms were not folded into the convs before them: folded weights stored as ${outputDtype} ` +
                 'would lose precision (--quantize float32 folds them, for fewer ops per call)\n') +
        `wrote ${outDir}\n${loadingNote(format)}\n`);
  }
}

/** Registers and selects the backend calibration and distillation compute on. */
async function useBackend(backend: string) {
  if (backend === 'wasm') {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      const kernels = await import('@tfjs-blocksparse/backend-wasm');
      await kernels.blockSparseWasmReady();
    } catch (e) {
      throw new Error(
          `--backend wasm needs @tensorflow/tfjs-backend-wasm and @tfjs-blocksparse/backend-wasm installed: ${(e as Error).message}`,
          {cause: e});
    }
  }
  if (!(await tf.setBackend(backend))) {
    throw new Error(`the ${backend} backend could not be initialised`);
  }
}

/** Inputs for a one-input model, read from a folder, a file or 'generated'. */
function readModelInputs(
    model: tf.LayersModel|tf.GraphModel, source: string, imageRange: [number, number]|undefined, flag: string): tf.Tensor {
  const shapes = model.inputs.map(i => i.shape);
  if (shapes.length !== 1) {
    throw new Error(`${flag}: the model has ${shapes.length} inputs; it takes models with one`);
  }
  return readInputs(source, {shape: (shapes[0] ?? []).slice(1), imageRange});
}

/**
 * The model's fidelity on the calibration inputs, calibrated against a
 * magnitude-pruned conversion at the same densities (which costs a second,
 * fast conversion), and the calibration's time.
 */
async function calibrationSummary(
    model: tf.LayersModel|tf.GraphModel, calibrated: tf.LayersModel|tf.GraphModel, report: SparsifyReport, inputs: tf.Tensor,
    options: SparsifyOptions, milliseconds: number): Promise<string> {
  const {model: magnitude} = await sparsifyModel(model, {...options, densities: convertedDensities(report)});
  const [before, after] = [magnitude, calibrated].map(m => fidelityOf(model, m, inputs));
  magnitude.dispose();
  return `calibrated on ${inputs.shape[0]} inputs in ${(milliseconds / 1000).toFixed(1)} s: ${after.metric} with the original on them, ` +
      `magnitude pruning ${before.value.toFixed(3)} -> calibrated ${after.value.toFixed(3)}\n`;
}

async function distillCli<M extends tf.LayersModel|tf.GraphModel>(
    original: M, sparse: M, source: string,
    {epochs, imageRange, seed, learningRate, batchSize}:
        {epochs: number, imageRange: [number, number]|undefined, seed: number, learningRate?: number, batchSize?: number},
    output: CliOutput) {
  const inputs = readModelInputs(original, source, imageRange, '--distill');
  try {
    let epochStart = Date.now();
    let epoch = 1;
    const {model, report} = await distill(original, sparse, {
      inputs,
      epochs,
      seed,
      learningRate,
      batchSize,
      onStep: (step, steps, loss) => {
        const left = (Date.now() - epochStart) / step * (steps - step) / 1000;
        output.err(
            `\r${progressBar(step, steps)} distill epoch ${epoch}/${epochs} step ${step}/${steps} loss ${loss.toExponential(2)}, ` +
            `${left.toFixed(0)} s left in the epoch`.padEnd(40));
      },
      onEpoch: (done, total, logs) => {
        output.err(
            `\r${progressBar(done, total)} distill epoch ${done}/${total} loss ${logs.loss.toExponential(2)} ` +
            `held-out loss ${logs.heldOutLoss.toExponential(2)}`.padEnd(80) + '\n');
        [epoch, epochStart] = [done + 1, Date.now()];
      }
    });
    const summary = `distill on ${report.trainInputs} inputs from ${source}, ${report.epochs} epochs` +
        `${report.stoppedEarly ? ' (stopped early: no better held-out loss)' : ''}: ${report.metric} with the original ` +
        `on ${report.heldOutInputs} held-out inputs ${report.before.toFixed(3)} -> ${report.after.toFixed(3)} ` +
        `(held-out loss ${report.lossBefore.toExponential(2)} -> ${report.lossAfter.toExponential(2)})\n` +
        (report.keptConverted ? 'no epoch bettered the held-out loss, so the converted weights were kept as they were\n' : '');
    return {model, summary};
  } finally {
    inputs.dispose();
  }
}

/** The encoding most of a model's float32 weights have in its files ('float32' when not quantized). */
function storedDtype(specs: tf.io.WeightsManifestEntry[]): QuantizeDtype|'float32' {
  const counts = new Map<string, number>();
  for (const spec of specs.filter(s => s.dtype === 'float32')) {
    const dtype = spec.quantization?.dtype ?? 'float32';
    counts.set(dtype, (counts.get(dtype) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] as QuantizeDtype | 'float32' ?? 'float32';
}

function progressBar(done: number, total: number): string {
  const width = 20;
  const filled = total === 0 ? width : Math.round(width * done / total);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

async function inspect(args: string[], output: CliOutput) {
  const {values, positionals: [modelPath]} = parse(args, {png: {type: 'string'}}, ['<model.json>']);
  const {artifacts, format, model} = await readModel(modelPath);
  const layouts = format === 'graph-model' ? graphLayouts(artifacts) : layerLayouts(model as tf.LayersModel);
  const lines: string[] = [];
  const pngDir = values['png'];
  for (const {name, kind, layout} of layouts) {
    lines.push(
        `${name} (${kind}): block ${layout.blockSize}, grid ` +
        `${layout.rowBlocks}x${layout.colBlocks}, ${layout.nnz} blocks kept, density ${layout.density.toFixed(3)}`);
    if (layout.rowBlocks <= 64 && layout.colBlocks <= 64) {
      lines.push(...layout.toMask().map(row => '  ' + row.map(v => v ? '#' : '.').join('')));
    }
    if (pngDir != null) {
      mkdirSync(pngDir, {recursive: true});
      const file = join(pngDir, `${name}.png`.replace(/[^\w.-]/g, '_'));
      writeFileSync(file, maskToPng(layout.toMask()));
      lines.push(`  picture: ${file}`);
    }
  }
  output.out((lines.length > 0 ? lines.join('\n') : 'no block-sparse layers') + '\n');
}

interface NamedLayout {
  name: string;
  kind: string;
  layout: BlockLayout;
}

function layerLayouts(model: tf.LayersModel): NamedLayout[] {
  return allLayers(model).flatMap(layer => {
    const layouts = layer instanceof BlockSparseDense || layer instanceof BlockSparseConv2D ? {kernel: layer.layout!} :
        layer instanceof BlockSparseLSTMCell                                                ? layer.layouts :
                                                                                              {};
    return Object.entries(layouts).map(([weight, layout]) => ({name: `${layer.name}/${weight}`, kind: layer.getClassName(), layout}));
  });
}

/** The layouts of a converted graph model's block-sparse nodes, read from their kept-blocks constants. */
function graphLayouts(artifacts: tf.io.ModelArtifacts): NamedLayout[] {
  const nodes = (artifacts.modelTopology as {node: NodeDef[]}).node.filter(n => n.op === GRAPH_MATMUL_OP || n.op === GRAPH_CONV2D_OP);
  const weights = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
  try {
    return nodes.map(({name, op, input, attr}) => ({
                       name,
                       kind: op,
                       layout: graphNodeLayout(
                           weights[input![2]], Number(attr!.block_size.i), Number(attr!.input_size.i), Number(attr!.output_size.i), op)
                     }));
  } finally {
    tf.dispose(weights);
  }
}

/** Layers of a model, nested models and RNN cells included. */
function allLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.flatMap(layer => {
    if (layer instanceof tf.LayersModel) {
      return allLayers(layer);
    }
    const cell = (layer as unknown as {cell?: tf.layers.Layer}).cell;
    return cell != null ? [layer, cell] : [layer];
  });
}
