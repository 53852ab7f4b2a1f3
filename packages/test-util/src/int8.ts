import * as tf from '@tensorflow/tfjs-core';
import {BlockLayout, blockSparseConv2d, blockSparseMatMul, BlockSparseMatMulInt8, densify, dequantizeBlocks, FusedActivation, quantizeBlocks, randomLayout, releaseLayoutTables} from '@tfjs-blocksparse/core';

import {seededValues} from './random';
import {activateDense, onReferenceBackend, relativeError} from './reference';
import {scoped} from './scoped';

/** A product or conv with quantized blocks (int8 or float16). */
export interface QuantizedCase {
  op: 'matMul'|'conv2d';
  blockSize: number;
  /** Rows of x (matmul), or batch (conv). */
  rows: number;
  transposeW: boolean;
  activation: FusedActivation;
  bias: boolean;
  seed: number;
  /** The layout's grid of blocks (default 3 x 4) and density (default 1/2). */
  grid?: [number, number];
  density?: number;
}

/**
 * Tiled rows and the rows left over, every block size int8 packing takes,
 * both directions, fused epilogues; the weights that wasm reads as int8
 * (over 32 KiB as float32: widensInt8), row-major and by output column; and
 * products over 64 rows. With `count`, that many of them, spread evenly.
 */
export function int8Cases(count?: number): QuantizedCase[] {
  const cases: QuantizedCase[] = [];
  let seed = 700;
  for (const blockSize of [4, 8, 16, 32]) {
    for (const rows of [1, 5, 12]) {
      for (const transposeW of [false, true]) {
        cases.push(
            {op: 'matMul', blockSize, rows, transposeW, activation: rows === 5 ? 'relu6' : 'linear', bias: rows !== 1, seed: seed += 10});
      }
    }
    cases.push({op: 'conv2d', blockSize, rows: 2, transposeW: false, activation: 'leakyrelu', bias: true, seed: seed += 10});
  }
  // Over 32 KiB as float32: wasm quantizes x to int16 (productInt8), row-major up to 32 KiB of int8, then by output column.
  cases.push(
      {op: 'matMul', blockSize: 4, rows: 9, transposeW: false, activation: 'relu6', bias: true, seed: 880, grid: [48, 24], density: 0.5});
  cases.push(
      {op: 'matMul', blockSize: 16, rows: 6, transposeW: false, activation: 'linear', bias: true, seed: 890, grid: [16, 8], density: 0.5});
  cases.push(
      {op: 'conv2d', blockSize: 12, rows: 2, transposeW: false, activation: 'relu', bias: true, seed: 895, grid: [4, 4], density: 1});
  cases.push(
      {op: 'matMul', blockSize: 32, rows: 9, transposeW: false, activation: 'relu', bias: true, seed: 900, grid: [24, 4], density: 1});
  cases.push(
      {op: 'conv2d', blockSize: 8, rows: 1, transposeW: false, activation: 'linear', bias: false, seed: 910, grid: [12, 8], density: 0.75});
  // Over 64 rows (webgpu's tiled program, which stages blocks in workgroup memory), both directions.
  cases.push({op: 'matMul', blockSize: 8, rows: 70, transposeW: false, activation: 'relu', bias: true, seed: 920});
  cases.push({op: 'matMul', blockSize: 16, rows: 70, transposeW: true, activation: 'linear', bias: false, seed: 930});
  cases.push({op: 'conv2d', blockSize: 4, rows: 6, transposeW: false, activation: 'relu6', bias: true, seed: 940});
  // prelu (slopes [1, 1, C] of both signs) after int8 blocks, and after a transposed product of them.
  cases.push({op: 'conv2d', blockSize: 8, rows: 2, transposeW: false, activation: 'prelu', bias: true, seed: 950});
  cases.push({op: 'matMul', blockSize: 16, rows: 5, transposeW: true, activation: 'prelu', bias: false, seed: 960});
  return spreadEvenly(cases, count);
}

/** A subset: `count` cases spread evenly over the list (all without a count). */
export function spreadEvenly<T>(cases: T[], count?: number): T[] {
  return count == null || count >= cases.length ? cases :
                                                  Array.from({length: count}, (_, i) => cases[Math.floor(i * cases.length / count)]);
}

export function describeQuantizedCase(c: QuantizedCase): string {
  const grid = c.grid == null ? '' : ` grid ${c.grid.join('x')} density ${c.density}`;
  return `${c.op} bs ${c.blockSize} rows ${c.rows}${c.transposeW ? ' transposeW' : ''} ${c.activation}${c.bias ? ' bias' : ''}${grid}`;
}

/**
 * Errors of a case: forward, dx and the scales' gradient against dense
 * tfjs with the dequantized weight (what the int8 blocks stand for
 * exactly), the largest magnitude of the int8 blocks' gradient (zeros, as
 * tfjs gives integer inputs), and the largest ratio
 * of the linear output's distance from the float32 weight's output to the
 * quantization bound Σ|x|·scale/2 (at most 1 where the kernels are right).
 */
export interface Int8CaseErrors {
  forward: number;
  dx: number;
  dscales: number;
  dwLargest: number;
  boundRatio: number;
}

/** The cases of one kind of quantized blocks where the backend reads them, else the error a call gets. */
export interface QuantizedResults<E> {
  /** Whether the backend reads these blocks. */
  supported: boolean;
  /** The error where it does not (null where the call did not throw). */
  unsupportedMessage: string|null;
  cases: Array<E|{error: string}>;
  /** Tensors left after the cases, or after the failed call. */
  leakedTensors: number;
}

export type Int8Results = QuantizedResults<Int8CaseErrors>;

/**
 * Runs every case where `supported` (an error a case throws is its
 * result); else makes one call with such blocks (`refusedCall`, given a
 * 16x16 layout of 8x8 blocks) and keeps the error it gets.
 */
export async function runQuantizedChecks<C, E>(
    supported: boolean, cases: C[], runCase: (c: C) => Promise<E>,
    refusedCall: (layout: BlockLayout) => unknown): Promise<QuantizedResults<E>> {
  const before = tf.memory().numTensors;
  const results: Array<E|{error: string}> = [];
  let unsupportedMessage: string|null = null;
  if (supported) {
    for (const c of cases) {
      try {
        results.push(await runCase(c));
      } catch (e) {
        results.push({error: e instanceof Error ? `${e.message}\n${e.stack}` : String(e)});
      }
    }
  } else {
    const layout = randomLayout({inputSize: 16, outputSize: 16, blockSize: 8, density: 0.5, seed: 9});
    await scoped(async () => {
      try {
        await refusedCall(layout);
      } catch (e) {
        unsupportedMessage = e instanceof Error ? e.message : String(e);
      }
    });
    releaseLayoutTables(layout);
  }
  return {supported, unsupportedMessage, cases: results, leakedTensors: tf.memory().numTensors - before};
}

export function tensorFrom(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed), shape);
}

export function caseGeometry(c: QuantizedCase) {
  const bs = c.blockSize;
  const [rowBlocks, colBlocks] = c.grid ?? [3, 4];
  const layout =
      randomLayout({inputSize: rowBlocks * bs, outputSize: colBlocks * bs, blockSize: bs, density: c.density ?? 0.5, seed: c.seed});
  const spatial = c.op === 'conv2d' ? [3, 3] : [];
  const inSize = c.transposeW ? layout.outputSize : layout.inputSize;
  const xShape = c.op === 'conv2d' ? [c.rows, 7, 6, inSize] : [c.rows, inSize];
  return {layout, spatial, xShape};
}

/** prelu's slopes [1, 1, outSize] for a case whose activation is prelu. */
export function caseSlopes(c: QuantizedCase, outSize: number): tf.Tensor|undefined {
  return c.activation === 'prelu' ? tensorFrom([1, 1, outSize], c.seed + 5) : undefined;
}

/** The op of a case, with int8 blocks (scales given), float16 or float32 ones. */
export function applyCase(
    c: QuantizedCase, layout: BlockLayout, x: tf.Tensor, w: tf.Tensor, scales: tf.Tensor|undefined, bias: tf.Tensor|undefined,
    slopes?: tf.Tensor) {
  const epilogue = {bias, activation: c.activation, scales, preluActivationWeights: slopes};
  return c.op === 'conv2d' ? blockSparseConv2d(x as tf.Tensor4D, w, layout, 2, 'same', 1, epilogue) :
                             blockSparseMatMul(x, w, layout, {...epilogue, transposeW: c.transposeW});
}

/** The same op with dense tfjs ops and the densified weight, its columns times `scales` where given. */
export function denseCase(
    c: QuantizedCase, layout: BlockLayout, x: tf.Tensor, w: tf.Tensor, scales: tf.Tensor|undefined, bias: tf.Tensor|undefined,
    slopes?: tf.Tensor) {
  const d = scales == null ? densify(w, layout) : tf.mul(densify(w, layout), scales);
  const y = c.op === 'conv2d' ? tf.conv2d(x as tf.Tensor4D, d as tf.Tensor4D, 2, 'same') :
                                tf.matMul(x as tf.Tensor2D, d as tf.Tensor2D, false, c.transposeW);
  const biased = bias == null ? y : tf.add(y, bias);
  // The kernels' default leakyrelu slope; slopes [1, 1, C] as [C], which a matmul's [rows, C] broadcasts.
  return activateDense(biased, {activation: c.activation, leakyreluAlpha: 0.2}, slopes && tf.reshape(slopes, [-1]));
}

export function runInt8Case(c: QuantizedCase): Promise<Int8CaseErrors> {
  const {layout, spatial, xShape} = caseGeometry(c);
  const bs = c.blockSize;
  return scoped(async () => {
    try {
      const floatBlocks = tensorFrom([layout.nnz, ...spatial, bs, bs], c.seed + 1);
      const {w, scales} = quantizeBlocks(floatBlocks, layout);
      // Q, the int8 values as float32: the reference's weight is Q·diag(scales).
      // (tf.ones holds its values on the CPU: dequantizeBlocks reads them synchronously, which webgpu in Node cannot.)
      const unscaled = dequantizeBlocks({w, scales: tf.ones(scales.shape)}, layout);
      const x = tensorFrom(xShape, c.seed + 2);
      const outSize = c.transposeW ? layout.inputSize : layout.outputSize;
      const bias = c.bias ? tensorFrom([outSize], c.seed + 3) : undefined;
      const slopes = caseSlopes(c, outSize);
      const y = applyCase(c, layout, x, w, scales, bias, slopes);
      const r = tensorFrom(y.shape, c.seed + 4);
      const [dx, dscales, dw] = tf.grads(
          (a: tf.Tensor, s: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(applyCase(c, layout, a, q, s, bias, slopes), r)))([x, scales, w]);
      const [yRef, [dxRef, dscalesRef]] = await onReferenceBackend(
          () =>
              [denseCase(c, layout, x, unscaled, scales, bias, slopes),
               tf.grads((a: tf.Tensor, s: tf.Tensor) => tf.sum(tf.mul(denseCase(c, layout, a, unscaled, s, bias, slopes), r)))(
                   [x, scales])]);
      if (dw.dtype !== 'float32' || !tf.util.arraysEqual(dw.shape, w.shape)) {
        throw new Error(`the int8 blocks' gradient is ${dw.dtype} [${dw.shape}], not float32 [${w.shape}]`);
      }
      return {
        forward: await relativeError(y, yRef),
        dx: await relativeError(dx, dxRef),
        dscales: await relativeError(dscales, dscalesRef),
        dwLargest: (await tf.max(tf.abs(dw)).data())[0],
        boundRatio: c.op === 'matMul' ? await boundRatio(c, layout, x, w, scales, floatBlocks) : 0
      };
    } finally {
      releaseLayoutTables(layout);
    }
  });
}

/**
 * max |x·Wq − x·W| / (|x|·|D|) per output, where Wq is the int8 weight, W
 * the float32 one and D the mask of kept weights times half their column's
 * scale: no weight moved more than that, so the ratio is at most 1 (plus
 * float rounding).
 */
async function boundRatio(c: QuantizedCase, layout: BlockLayout, x: tf.Tensor, w: tf.Tensor, scales: tf.Tensor, floatBlocks: tf.Tensor) {
  const quantized = blockSparseMatMul(x, w, layout, {scales, transposeW: c.transposeW});
  const original = blockSparseMatMul(x, floatBlocks, layout, {transposeW: c.transposeW});
  const halfSteps = tf.mul(densify(tf.onesLike(floatBlocks), layout), tf.div(scales, 2)) as tf.Tensor2D;
  const bound = tf.matMul(tf.abs(x) as tf.Tensor2D, halfSteps, false, c.transposeW);
  const ratio = tf.max(tf.div(tf.abs(tf.sub(quantized, original)), tf.add(bound, 1e-30)));
  return (await ratio.data())[0];
}

/** The int8 cases where the backend has int8 kernels; else the error a call gets. */
export function runInt8Checks(count?: number): Promise<Int8Results> {
  const supported = tf.getKernel(BlockSparseMatMulInt8, tf.getBackend()) != null;
  return runQuantizedChecks(supported, int8Cases(count), runInt8Case, layout => {
    const {w, scales} = quantizeBlocks(tensorFrom([layout.nnz, 8, 8], 1), layout);
    return blockSparseMatMul(tensorFrom([2, 16], 2), w, layout, {scales});
  });
}
