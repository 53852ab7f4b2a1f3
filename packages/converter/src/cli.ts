import * as tf from '@tensorflow/tfjs';
import '@tfjs-blocksparse/backend-cpu';
import {BlockSparseConv2D, BlockSparseDense, BlockSparseLSTMCell} from '@tfjs-blocksparse/layers';
import {mkdirSync, writeFileSync} from 'fs';
import {join} from 'path';
import {parseArgs} from 'util';

import {checkOutputDirectory, loadFrom, saveTo} from './node_io';
import {maskToPng} from './png';
import {formatReport} from './report';
import {sparsifyModel} from './sparsify_model';

const USAGE = `usage:
  tfjs-blocksparse convert <model.json> <outDir> --density D --block-size B
                   [--include REGEX] [--exclude REGEX] [--layout magnitude|random|smallWorld] [--seed N]
  tfjs-blocksparse inspect <model.json> [--png DIR]
  tfjs-blocksparse --help`;

/** What a user needs to run the converted model, on any backend. */
const LOADING_NOTE =
    'load it with tf.loadLayersModel after importing @tfjs-blocksparse/layers and the kernels of your backend: ' +
    '@tfjs-blocksparse/backend-webgpu, backend-webgl, backend-wasm (tfjs-backend-wasm, WebAssembly SIMD) or backend-cpu';

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
    throw new UsageError(`expected ${positionals.join(' ')}, got ${parsed.positionals.length} arguments`);
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
  const {values, positionals: [modelPath, outDir]} = parse(args, {
    'density': {type: 'string'}, 'block-size': {type: 'string'}, 'include': {type: 'string'},
    'exclude': {type: 'string'}, 'layout': {type: 'string'}, 'seed': {type: 'string'}
  }, ['<model.json>', '<outDir>']);
  const density = numberFlag(values['density'], 'density', n => n > 0 && n <= 1, 'a number in (0, 1]');
  const blockSize = numberFlag(values['block-size'], 'block-size', n => Number.isInteger(n) && n > 0, 'a positive integer');
  const layout = (values['layout'] ?? 'magnitude') as 'magnitude'|'random'|'smallWorld';
  if (!['magnitude', 'random', 'smallWorld'].includes(layout)) {
    throw new UsageError(`--layout must be magnitude, random or smallWorld, got ${layout}`);
  }
  const seed = values['seed'] == null ? 0 : numberFlag(values['seed'], 'seed', Number.isInteger, 'an integer');
  const include = regexFlag(values['include'], 'include');
  const exclude = regexFlag(values['exclude'], 'exclude');
  // Before the (possibly long) load and conversion, not after.
  checkOutputDirectory(outDir);
  const model = await tf.loadLayersModel(loadFrom(modelPath));
  const {model: sparse, report} = await sparsifyModel(model, {
    density, blockSize, layout, seed, include, exclude,
    onProgress: (done, total, name) => output.err(`\r${progressBar(done, total)} ${done}/${total} ${name}`.padEnd(60))
  });
  output.err('\n');
  if (report.totals.converted === 0) {
    throw new Error(`no layer was converted, so nothing was written:\n${formatReport(report)}`);
  }
  await sparse.save(saveTo(outDir));
  output.out(`${formatReport(report)}\n\nwrote ${outDir}\n${LOADING_NOTE}\n`);
}

function progressBar(done: number, total: number): string {
  const width = 20;
  const filled = total === 0 ? width : Math.round(width * done / total);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

async function inspect(args: string[], output: CliOutput) {
  const {values, positionals: [modelPath]} = parse(args, {png: {type: 'string'}}, ['<model.json>']);
  const model = await tf.loadLayersModel(loadFrom(modelPath));
  const lines: string[] = [];
  const pngDir = values['png'];
  for (const layer of allLayers(model)) {
    const layouts = layer instanceof BlockSparseDense || layer instanceof BlockSparseConv2D ?
        {kernel: layer.layout!} : layer instanceof BlockSparseLSTMCell ? layer.layouts : {};
    for (const [weight, layout] of Object.entries(layouts)) {
      lines.push(`${layer.name}/${weight} (${layer.getClassName()}): block ${layout.blockSize}, grid ` +
                 `${layout.rowBlocks}x${layout.colBlocks}, ${layout.nnz} blocks kept, density ${layout.density.toFixed(3)}`);
      if (layout.rowBlocks <= 64 && layout.colBlocks <= 64) {
        lines.push(...layout.toMask().map(row => '  ' + row.map(v => v ? '#' : '.').join('')));
      }
      if (pngDir != null) {
        mkdirSync(pngDir, {recursive: true});
        const file = join(pngDir, `${layer.name}_${weight}.png`.replace(/[^\w.-]/g, '_'));
        writeFileSync(file, maskToPng(layout.toMask()));
        lines.push(`  picture: ${file}`);
      }
    }
  }
  output.out((lines.length > 0 ? lines.join('\n') : 'no block-sparse layers') + '\n');
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
