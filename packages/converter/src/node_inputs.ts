import * as tf from '@tensorflow/tfjs';
import {readdirSync, readFileSync, statSync} from 'fs';
import * as jpeg from 'jpeg-js';
import {extname, join} from 'path';
import {PNG} from 'pngjs';

export interface InputOptions {
  /** One input's shape (no batch axis) as the model declares it; -1 or null for any size. */
  shape: Array<number|null>;
  /** Pixel values 0 … 255 map linearly onto this range (default [0, 1]). */
  imageRange?: [number, number];
  /** How many inputs 'generated' makes (default 256). */
  count?: number;
}

const IMAGE = new Set(['.png', '.jpg', '.jpeg']);
const TENSOR = new Set(['.npy', '.json']);

/**
 * Unlabelled inputs for distill, [n, ...shape], from `source`: a folder (or
 * one file) of images (.png, .jpg: transparent parts over white, resized to
 * the input's height and width, channels matched, pixels mapped to
 * imageRange) and tensors (.npy, .json:
 * nested arrays or {shape, data}; one example or a batch each); or
 * 'generated': random inputs (uniform over imageRange for image-shaped
 * inputs, standard normal otherwise), the last resort when no data is at hand.
 */
export function readInputs(source: string, options: InputOptions): tf.Tensor {
  const shape = options.shape.map(d => d == null || d < 0 ? -1 : d);
  const [low, high] = options.imageRange ?? [0, 1];
  if (source === 'generated') {
    if (shape.includes(-1)) {
      throw new Error(`cannot generate inputs of shape [${shape}]: the model leaves a size open`);
    }
    const count = options.count ?? 256;
    return shape.length === 3 ? tf.randomUniform([count, ...shape], low, high, 'float32', 0) :
                                tf.randomNormal([count, ...shape], 0, 1, 'float32', 0);
  }
  let files: string[];
  try {
    files = statSync(source).isDirectory() ?
        readdirSync(source).sort().map(f => join(source, f)).filter(f => IMAGE.has(ext(f)) || TENSOR.has(ext(f))) :
        [source];
  } catch (e) {
    throw new Error(`cannot read inputs ${source}: ${(e as Error).message}`, {cause: e});
  }
  if (files.length === 0) {
    throw new Error(`no inputs in ${source}: expected .png, .jpg, .npy or .json files`);
  }
  return tf.tidy(() => tf.concat(files.map(file => {
    if (IMAGE.has(ext(file))) {
      return tf.expandDims(imageInput(file, shape, low, high));
    }
    if (TENSOR.has(ext(file))) {
      return asBatch(ext(file) === '.npy' ? readNpy(file) : readJsonTensor(file), shape, file);
    }
    throw new Error(`${file}: not an input file (expected .png, .jpg, .npy or .json)`);
  })));
}

function ext(file: string): string {
  return extname(file).toLowerCase();
}

function imageInput(file: string, shape: number[], low: number, high: number): tf.Tensor3D {
  if (shape.length !== 3 || shape[0] < 0 || shape[1] < 0 || ![1, 3].includes(shape[2])) {
    throw new Error(`${file}: images need a model input of known [height, width, 1 or 3], it takes [${shape}]`);
  }
  return tf.tidy(() => {
    const rgb = readImage(file);
    const pixels = shape[2] === 1 ? tf.mean(rgb, -1, true) : rgb;
    const resized = tf.image.resizeBilinear(pixels as tf.Tensor3D, [shape[0], shape[1]]);
    return tf.add(tf.mul(resized, (high - low) / 255), low) as tf.Tensor3D;
  });
}

/**
 * A .png or .jpg file as [height, width, 3] float32 pixels 0 … 255, transparent
 * parts over white, as a page shows them (the colour a PNG stores under alpha 0
 * is arbitrary).
 */
export function readImage(file: string): tf.Tensor3D {
  const bytes = readFileSync(file);
  let decoded: {width: number, height: number, data: Uint8Array};
  try {
    decoded =
        ext(file) === '.png' ? PNG.sync.read(bytes) : jpeg.decode(bytes, {useTArray: true, formatAsRGBA: true, maxResolutionInMP: 200});
  } catch (e) {
    throw new Error(`cannot decode image ${file}: ${(e as Error).message}`, {cause: e});
  }
  return tf.tidy(() => {
    const rgba = tf.tensor3d(decoded.data, [decoded.height, decoded.width, 4], 'float32');
    const alpha = tf.div(tf.slice(rgba, [0, 0, 3], [-1, -1, 1]), 255);
    return tf.add(tf.mul(tf.slice(rgba, [0, 0, 0], [-1, -1, 3]), alpha), tf.mul(tf.sub(1, alpha), 255)) as tf.Tensor3D;
  });
}

/** One example ([...shape]) or a batch ([n, ...shape]) of a tensor file, as [n, ...shape]. */
function asBatch(t: tf.Tensor, shape: number[], file: string): tf.Tensor {
  const fits = (dims: number[]) => dims.length === shape.length && dims.every((d, i) => shape[i] < 0 || d === shape[i]);
  if (fits(t.shape)) {
    return tf.expandDims(t);
  }
  if (fits(t.shape.slice(1))) {
    return t;
  }
  throw new Error(`${file} holds a [${t.shape}] tensor; the model takes [${shape}] (one example) or [n, ${shape}]`);
}

const NPY_TYPES: Record<string, (b: Buffer, offset: number, n: number) => ArrayLike<number>> = {
  '<f4': (b, o, n) => new Float32Array(b.buffer.slice(b.byteOffset + o, b.byteOffset + o + 4 * n)),
  '<f8': (b, o, n) => new Float64Array(b.buffer.slice(b.byteOffset + o, b.byteOffset + o + 8 * n)),
  '<i4': (b, o, n) => new Int32Array(b.buffer.slice(b.byteOffset + o, b.byteOffset + o + 4 * n)),
  '|u1': (b, o, n) => new Uint8Array(b.buffer.slice(b.byteOffset + o, b.byteOffset + o + n)),
};

/** A NumPy .npy file (format 1-3, little-endian float32/float64/int32/uint8, C order) as a float32 tensor. */
export function readNpy(file: string): tf.Tensor {
  const bytes = readFileSync(file);
  if (bytes.toString('latin1', 0, 6) !== '\x93NUMPY') {
    throw new Error(`${file} is not a .npy file`);
  }
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = bytes.toString('latin1', start, start + headerLength);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1].split(',').map(s => s.trim()).filter(s => s !== '').map(Number);
  if (/'fortran_order':\s*True/.test(header)) {
    throw new Error(`${file}: Fortran-ordered arrays are not supported (save with np.ascontiguousarray)`);
  }
  const read = descr == null ? undefined : NPY_TYPES[descr];
  if (read == null || shape == null) {
    throw new Error(`${file}: unsupported .npy dtype ${descr} (use float32, float64, int32 or uint8)`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from(read(bytes, start + headerLength, size)), shape);
}

function readJsonTensor(file: string): tf.Tensor {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as Error).message}`, {cause: e});
  }
  const {shape, data} = (value ?? {}) as {shape?: number[], data?: number[]};
  try {
    return Array.isArray(shape) && Array.isArray(data) ? tf.tensor(data, shape, 'float32') :
                                                         tf.tensor(value as number[], undefined, 'float32');
  } catch (e) {
    throw new Error(`${file} is not a tensor (nested arrays of numbers, or {shape, data}): ${(e as Error).message}`, {cause: e});
  }
}
