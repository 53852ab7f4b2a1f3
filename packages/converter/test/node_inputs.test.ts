import '@tfjs-blocksparse/backend-cpu';

import * as tf from '@tensorflow/tfjs';
import {mkdirSync, mkdtempSync, writeFileSync} from 'fs';
import * as jpeg from 'jpeg-js';
import {tmpdir} from 'os';
import {join} from 'path';
import {PNG} from 'pngjs';

import {readInputs} from '../src/node_inputs';

let dir: string;

/** A .npy file (format 1.0) as NumPy writes it. */
function npy(values: Float32Array, shape: number[]): Buffer {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix.writeUInt16LE(header.length, 8);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), Buffer.from(values.buffer)]);
}

/** A width x height RGBA image whose red channel is x * 255 / (width - 1), green 255, blue 0. */
function gradient(width: number, height: number): {width: number, height: number, data: Buffer} {
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    data.set([Math.round((i % width) * 255 / (width - 1)), 255, 0, 255], 4 * i);
  }
  return {width, height, data};
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'blocksparse-inputs-'));
});

describe('readInputs', () => {
  test('a folder of .npy and .json tensors: single examples and batches, in file-name order', () => {
    const folder = join(dir, 'tensors');
    mkdirSync(folder);
    writeFileSync(join(folder, 'a.npy'), npy(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]));
    writeFileSync(join(folder, 'b.json'), JSON.stringify([7, 8, 9]));
    writeFileSync(join(folder, 'c.json'), JSON.stringify({shape: [1, 3], data: [10, 11, 12]}));
    writeFileSync(join(folder, 'notes.txt'), 'skipped');
    const x = readInputs(folder, {shape: [3]});
    expect(x.shape).toEqual([4, 3]);
    expect(Array.from(x.dataSync())).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  test('png and jpeg images are resized to the input, channels matched, pixels mapped to the range', () => {
    const folder = join(dir, 'images');
    mkdirSync(folder);
    writeFileSync(join(folder, 'a.png'), PNG.sync.write(Object.assign(new PNG({width: 16, height: 8}), {data: gradient(16, 8).data})));
    writeFileSync(join(folder, 'b.jpg'), jpeg.encode(gradient(16, 8), 95).data);
    const rgb = readInputs(folder, {shape: [4, 4, 3], imageRange: [-1, 1]});
    expect(rgb.shape).toEqual([2, 4, 4, 3]);
    const png = rgb.slice([0, 0, 0, 0], [1, 4, 4, 3]).reshape([16, 3]).arraySync() as number[][];
    // Green is 255 -> 1, blue 0 -> -1; red rises from left to right.
    expect(png.every(([, g, b]) => Math.abs(g - 1) < 1e-5 && Math.abs(b + 1) < 1e-5)).toBe(true);
    expect(png[3][0]).toBeGreaterThan(png[0][0] + 1);
    const jpg = rgb.slice([1, 0, 0, 0], [1, 4, 4, 3]).reshape([16, 3]).arraySync() as number[][];
    expect(Math.max(...jpg.map(([r], i) => Math.abs(r - png[i][0])))).toBeLessThan(0.1);
    const grey = readInputs(join(folder, 'a.png'), {shape: [2, 2, 1]});
    expect(grey.shape).toEqual([1, 2, 2, 1]);
  });

  test('transparent parts of a png are white, whatever colour they store; half-transparent ones blended', () => {
    // Red everywhere; the left half fully transparent, the right half at alpha 128.
    const data = Buffer.alloc(4 * 4 * 4);
    for (let i = 0; i < 16; i++) {
      data.set([255, 0, 0, i % 4 < 2 ? 0 : 128], 4 * i);
    }
    writeFileSync(join(dir, 'clear.png'), PNG.sync.write(Object.assign(new PNG({width: 4, height: 4}), {data})));
    const rgb = readInputs(join(dir, 'clear.png'), {shape: [4, 4, 3]}).reshape([16, 3]).arraySync() as number[][];
    const half = 1 - 128 / 255;
    rgb.forEach(([r, g, b], i) => {
      const expected = i % 4 < 2 ? [1, 1, 1] : [1, half, half];
      expect(Math.max(Math.abs(r - expected[0]), Math.abs(g - expected[1]), Math.abs(b - expected[2]))).toBeLessThan(1e-5);
    });
  });

  test('generated inputs follow the input shape; images uniform over the range', () => {
    const images = readInputs('generated', {shape: [8, 8, 3], imageRange: [-1, 1], count: 10});
    expect(images.shape).toEqual([10, 8, 8, 3]);
    expect(images.min().dataSync()[0]).toBeGreaterThanOrEqual(-1);
    expect(images.max().dataSync()[0]).toBeLessThanOrEqual(1);
    expect(readInputs('generated', {shape: [5]}).shape).toEqual([256, 5]);
  });

  test('bad sources name the file and the problem', () => {
    writeFileSync(join(dir, 'wrong.json'), JSON.stringify([[1, 2], [3, 4]]));
    writeFileSync(join(dir, 'bad.npy'), Buffer.from('not numpy'));
    writeFileSync(join(dir, 'bad.png'), Buffer.from('not a png'));
    mkdirSync(join(dir, 'empty'));
    expect(() => readInputs(join(dir, 'wrong.json'), {shape: [3]}))
        .toThrow(/wrong\.json holds a \[2,2\] tensor; the model takes \[3\] \(one example\) or \[n, 3\]/);
    expect(() => readInputs(join(dir, 'bad.npy'), {shape: [3]})).toThrow(/bad\.npy is not a \.npy file/);
    expect(() => readInputs(join(dir, 'bad.png'), {shape: [4, 4, 3]})).toThrow(/cannot decode image .*bad\.png/);
    expect(() => readInputs(join(dir, 'bad.png'), {shape: [10]}))
        .toThrow(/images need a model input of known \[height, width, 1 or 3\], it takes \[10\]/);
    expect(() => readInputs(join(dir, 'empty'), {shape: [3]}))
        .toThrow(/no inputs in .*empty: expected \.png, \.jpg, \.npy or \.json files/);
    expect(() => readInputs(join(dir, 'absent'), {shape: [3]})).toThrow(/cannot read inputs .*absent/);
    expect(() => readInputs('generated', {shape: [null, 3]}))
        .toThrow(/cannot generate inputs of shape \[-1,3\]: the model leaves a size open/);
  });
});
