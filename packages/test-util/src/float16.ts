import * as tf from '@tensorflow/tfjs-core';
import {BlockLayout, blockSparseMatMul, densify, fromFloat16Blocks, releaseLayoutTables, toFloat16Blocks} from '@tfjs-blocksparse/core';

import {applyCase, caseGeometry, caseSlopes, denseCase, QuantizedCase, QuantizedResults, runQuantizedChecks, spreadEvenly, tensorFrom} from './int8';
import {onReferenceBackend, relativeError} from './reference';
import {scoped} from './scoped';

/**
 * Both directions, tiled rows and the rows left over, several block sizes,
 * fused epilogues (prelu included), convolutions, weights over 32 KiB as
 * float32 at 8 rows and more (wasm widens them a group of blocks at a time)
 * and products over 64 rows (webgpu's tiled program). With `count`, that many
 * of them, spread evenly.
 */
export function float16Cases(count?: number): QuantizedCase[] {
  let seed = 1200;
  const matMul = (blockSize: number, rows: number, transposeW: boolean, extra: Partial<QuantizedCase> = {}): QuantizedCase =>
      ({op: 'matMul', blockSize, rows, transposeW, activation: 'linear', bias: false, seed: seed += 10, ...extra});
  const conv2d = (blockSize: number, rows: number, extra: Partial<QuantizedCase>): QuantizedCase =>
      ({op: 'conv2d', blockSize, rows, transposeW: false, activation: 'linear', bias: true, seed: seed += 10, ...extra});
  const cases = [
    matMul(8, 1, false, {bias: true}), matMul(8, 5, false, {activation: 'relu6', bias: true}), matMul(8, 12, true),
    matMul(4, 3, false, {activation: 'sigmoid'}), matMul(16, 9, false, {bias: true, grid: [16, 8], density: 0.5}),
    matMul(32, 9, false, {activation: 'relu', bias: true, grid: [24, 4], density: 1}), matMul(16, 5, true, {activation: 'prelu'}),
    matMul(8, 70, false, {activation: 'relu', bias: true}), matMul(16, 70, true), conv2d(8, 2, {activation: 'leakyrelu'}),
    conv2d(4, 6, {activation: 'relu6'}), conv2d(12, 2, {activation: 'prelu', grid: [4, 4], density: 1})
  ];
  return spreadEvenly(cases, count);
}

/**
 * Errors of a case: forward and dx against dense tfjs with the float32
 * weight the float16 blocks stand for (exactly), the largest magnitude of
 * the blocks' gradient (zeros, as tfjs gives integer inputs), and the
 * largest ratio of the linear output's distance from the float32 blocks'
 * output to the rounding bound Σ|x|·(|w|·2^-11 + 2^-25) (at most 1).
 */
export interface Float16CaseErrors {
  forward: number;
  dx: number;
  dwLargest: number;
  boundRatio: number;
}

export type Float16Results = QuantizedResults<Float16CaseErrors>;

export function runFloat16Case(c: QuantizedCase): Promise<Float16CaseErrors> {
  const {layout, spatial, xShape} = caseGeometry(c);
  const bs = c.blockSize;
  return scoped(async () => {
    try {
      const floatBlocks = tensorFrom([layout.nnz, ...spatial, bs, bs], c.seed + 1);
      const w = toFloat16Blocks(floatBlocks, layout);
      const rounded = fromFloat16Blocks(w, layout);
      const x = tensorFrom(xShape, c.seed + 2);
      const outSize = c.transposeW ? layout.inputSize : layout.outputSize;
      const bias = c.bias ? tensorFrom([outSize], c.seed + 3) : undefined;
      const slopes = caseSlopes(c, outSize);
      const y = applyCase(c, layout, x, w, undefined, bias, slopes);
      const r = tensorFrom(y.shape, c.seed + 4);
      const [dx, dw] =
          tf.grads((a: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(applyCase(c, layout, a, q, undefined, bias, slopes), r)))([x, w]);
      const [yRef, dxRef] = await onReferenceBackend(
          () =>
              [denseCase(c, layout, x, rounded, undefined, bias, slopes),
               tf.grad((a: tf.Tensor) => tf.sum(tf.mul(denseCase(c, layout, a, rounded, undefined, bias, slopes), r)))(x)]);
      if (dw.dtype !== 'float32' || !tf.util.arraysEqual(dw.shape, w.shape)) {
        throw new Error(`the float16 blocks' gradient is ${dw.dtype} [${dw.shape}], not float32 [${w.shape}]`);
      }
      return {
        forward: await relativeError(y, yRef),
        dx: await relativeError(dx, dxRef),
        dwLargest: (await tf.max(tf.abs(dw)).data())[0],
        boundRatio: c.op === 'matMul' ? await boundRatio(c, layout, x, w, floatBlocks) : 0
      };
    } finally {
      releaseLayoutTables(layout);
    }
  });
}

async function boundRatio(c: QuantizedCase, layout: BlockLayout, x: tf.Tensor, w: tf.Tensor, floatBlocks: tf.Tensor) {
  const halved = blockSparseMatMul(x, w, layout, {transposeW: c.transposeW});
  const original = blockSparseMatMul(x, floatBlocks, layout, {transposeW: c.transposeW});
  const steps = tf.add(tf.mul(tf.abs(densify(floatBlocks, layout)), 2 ** -11), tf.mul(densify(tf.onesLike(floatBlocks), layout), 2 ** -25));
  const bound = tf.matMul(tf.abs(x) as tf.Tensor2D, steps as tf.Tensor2D, false, c.transposeW);
  const ratio = tf.max(tf.div(tf.abs(tf.sub(halved, original)), tf.add(bound, 1e-30)));
  return (await ratio.data())[0];
}

/** The float16 cases where the backend reads float16 blocks; else the error a call gets. */
export function runFloat16Checks(supported: boolean, count?: number): Promise<Float16Results> {
  return runQuantizedChecks(supported, float16Cases(count), runFloat16Case, layout => {
    const w = toFloat16Blocks(tensorFrom([layout.nnz, 8, 8], 1), layout);
    return blockSparseMatMul(tensorFrom([2, 16], 2), w, layout).data();
  });
}
