import '@tfjs-blocksparse/backend-cpu';

import * as tf from '@tensorflow/tfjs';
import {execFileSync} from 'child_process';
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'fs';
import {tmpdir} from 'os';
import {join} from 'path';

import {loadFrom, main, saveTo} from '@tfjs-blocksparse/converter';
import {BlockSparseDense} from '@tfjs-blocksparse/layers';

let dir: string;
let modelPath: string;
let model: tf.Sequential;

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, {out: t => out += t, err: t => err += t});
  return {code, out, err};
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'blocksparse-cli-'));
  model = tf.sequential({layers: [
    tf.layers.dense({inputShape: [32], units: 64, activation: 'relu', name: 'first'}),
    tf.layers.dense({units: 16, name: 'second'}),
    tf.layers.dense({units: 3, name: 'head'})
  ]});
  await model.save(saveTo(join(dir, 'dense')));
  modelPath = join(dir, 'dense', 'model.json');
});

describe('tfjs-blocksparse CLI', () => {
  test('convert writes a loadable block-sparse model and prints the report', async () => {
    const {code, out, err} = await run('convert', modelPath, join(dir, 'sparse'), '--density', '0.25', '--block-size', '8', '--include', 'first|second');
    expect(err).toContain('2/3');
    expect(code).toBe(0);
    expect(out).toMatch(/first\s+Dense\s+\[32, 64\]\s+8\/32\s+0\.250/);
    expect(out).toMatch(/head\s+Dense\s+\[16, 3\].*stays dense: not matched by include/);
    expect(out).toMatch(/importing @tfjs-blocksparse\/layers and the kernels of your backend: .*backend-wasm/);
    expect(readdirSync(join(dir, 'sparse')).sort()).toEqual(['model.json', 'weights.bin']);
    const loaded = await tf.loadLayersModel(loadFrom(join(dir, 'sparse', 'model.json')));
    expect(loaded.getLayer('first')).toBeInstanceOf(BlockSparseDense);
    expect((loaded.getLayer('second') as BlockSparseDense).layout!.nnz).toBe(4);
    expect((loaded.predict(tf.ones([1, 32])) as tf.Tensor).shape).toEqual([1, 3]);
  });

  test('inspect prints each sparse layout and writes it as a PNG', async () => {
    const {code, out} = await run('inspect', join(dir, 'sparse', 'model.json'), '--png', join(dir, 'pictures'));
    expect(code).toBe(0);
    expect(out).toMatch(/first\/kernel \(BlockSparseDense\): block 8, grid 4x8, 8 blocks kept, density 0\.250/);
    const png = readFileSync(join(dir, 'pictures', 'first_kernel.png'));
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.readUInt32BE(16)).toBe(8 * 4);
  });

  test('the installed bin runs end to end', () => {
    const bin = join(__dirname, '..', 'bin', 'tfjs-blocksparse.js');
    const out = execFileSync(process.execPath, [bin, 'inspect', join(dir, 'sparse', 'model.json')], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']});
    expect(out).toMatch(/second\/kernel \(BlockSparseDense\): block 8, grid 8x2, 4 blocks kept/);
  });

  test.each([
    [['convert'], 2, /expected <model.json> <outDir>/],
    [['frobnicate'], 2, /unknown command 'frobnicate'/],
    [['convert', 'm.json', 'out', '--density', '2', '--block-size', '8'], 2, /--density must be a number in \(0, 1\], got 2/],
    [['convert', 'm.json', 'out', '--density', '0.5'], 2, /--block-size must be a positive integer, got nothing/],
    [['convert', 'm.json', 'out', '--density', '0.5', '--block-size', '8', '--bogus'], 2, /Unknown option '--bogus'/],
    [['convert', 'm.json', 'out', '--density', '0.5', '--block-size', '8', '--include', '('], 2, /--include: Invalid regular expression/],
  ])('bad usage %j exits %i with a message', async (argv, exitCode, message) => {
    const {code, err} = await run(...argv);
    expect(code).toBe(exitCode);
    expect(err).toMatch(message);
  });

  test.each([['--help'], ['-h'], ['convert', '--help'], ['help']])('%j prints the usage and exits 0', async (...argv) => {
    const {code, out, err} = await run(...argv);
    expect(code).toBe(0);
    expect(out).toMatch(/^usage:\n  tfjs-blocksparse convert <model.json> <outDir> --density D --block-size B/);
    expect(err).toBe('');
  });

  test('a conversion that converts no layer exits 1 with each layer\'s reason and writes nothing', async () => {
    const {code, out, err} = await run('convert', modelPath, join(dir, 'none'), '--density', '0.5', '--block-size', '7');
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(/no layer was converted, so nothing was written/);
    expect(err).toMatch(/first\s+Dense\s+\[32, 64\].*stays dense: block size 7 does not divide the kernel's 32 x 64/);
    expect(existsSync(join(dir, 'none'))).toBe(false);
  });

  test('a non-empty output directory is refused before the model is read', async () => {
    const {code, err} = await run('convert', join(dir, 'absent', 'model.json'), join(dir, 'dense'), '--density', '0.5', '--block-size', '8');
    expect(code).toBe(1);
    expect(err).toMatch(/output .*dense exists and is not an empty directory/);
  });

  test('missing, corrupt and unknown inputs exit 1 with a clear message, writing nothing', async () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'corrupt.json'), '{"modelTopology": ');
    writeFileSync(join(bad, 'nomodel.json'), '{"format": "layers-model"}');
    const json = JSON.parse(readFileSync(modelPath, 'utf8'));
    writeFileSync(join(bad, 'noweights.json'), JSON.stringify({...json, weightsManifest: [{...json.weightsManifest[0], paths: ['missing.bin']}]}));
    writeFileSync(join(bad, 'short.bin'), Buffer.alloc(12));
    writeFileSync(join(bad, 'short.json'), JSON.stringify({...json, weightsManifest: [{...json.weightsManifest[0], paths: ['short.bin']}]}));
    json.modelTopology.config.layers[0].class_name = 'Frobnicator';
    json.weightsManifest[0].paths = ['../dense/weights.bin'];
    writeFileSync(join(bad, 'unknown.json'), JSON.stringify(json));
    const convert = (file: string, out: string) => run('convert', join(bad, file), join(dir, out), '--density', '0.5', '--block-size', '8');
    const cases: Array<[string, RegExp]> = [
      ['absent.json', /cannot read model .*absent\.json/],
      ['corrupt.json', /cannot read model .*corrupt\.json: .*JSON/],
      ['nomodel.json', /nomodel\.json is not a tfjs model\.json: it has no modelTopology/],
      ['noweights.json', /cannot read weight file .*missing\.bin listed in .*noweights\.json/],
      ['short.json', /weight files of .*short\.json hold 12 bytes; its manifest needs \d+/],
      ['unknown.json', /Unknown layer: Frobnicator/],
    ];
    for (const [file, message] of cases) {
      const {code, err} = await convert(file, `out-${file}`);
      expect({file, code, err}).toEqual({file, code: 1, err: expect.stringMatching(message)});
      expect(existsSync(join(dir, `out-${file}`))).toBe(false);
    }
    const {code, err} = await run('convert', modelPath, join(dir, 'dense'), '--density', '0.5', '--block-size', '8');
    expect(code).toBe(1);
    expect(err).toMatch(/output .*dense exists and is not an empty directory/);
    expect(readdirSync(join(dir, 'dense')).sort()).toEqual(['model.json', 'weights.bin']);
    expect(readdirSync(dir).filter(f => f.includes('.tmp-'))).toEqual([]);
  });
});
