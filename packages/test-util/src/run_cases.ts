import * as tf from '@tensorflow/tfjs-core';
import {backend_util, BlockLayout, blockSparseConv2d, blockSparseMatMul, densify, FusedEpilogueOptions, releaseLayoutTables} from '@tfjs-blocksparse/core';

import type {Conv2DCase, FusedConv2DCase, FusedEpilogueCase, FusedMatMulCase, MatMulCase} from './cases';
import {layoutFor} from './layouts';
import {seededValues} from './random';
import {activateDense, onReferenceBackend, relativeError, spreadFilter, sumAll, withZeroItem} from './reference';
import {scoped} from './scoped';

/** Relative errors of the block-sparse op against dense tfjs on the same backend. */
export interface CaseErrors {
  forward: number;
  dx: number;
  dw: number;
}

function tensorFrom(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed), shape);
}

/**
 * Forward and both gradients of a scalar loss sum(r ⊙ y), for the
 * block-sparse op and for the dense reference with the densified weight.
 */
async function compare(
    x: tf.Tensor, w: tf.Tensor, cotangent: (y: tf.Tensor) => tf.Tensor, sparse: (x: tf.Tensor, w: tf.Tensor) => tf.Tensor,
    dense: (x: tf.Tensor, w: tf.Tensor) => tf.Tensor): Promise<CaseErrors> {
  return scoped(async () => {
    const y = sparse(x, w);
    const yRef = await onReferenceBackend(() => dense(x, w));
    const r = cotangent(yRef);
    const loss = (f: typeof sparse) => (a: tf.Tensor, b: tf.Tensor) => sumAll(tf.mul(f(a, b), r));
    const [dx, dw] = tf.grads(loss(sparse))([x, w]);
    const [dxRef, dwRef] = await onReferenceBackend(() => tf.grads(loss(dense))([x, w]));
    // Again, now that the GPU backends hold w as a texture or buffer of their
    // own layout: programs may read it differently then (webgl does).
    const yAgain = sparse(x, w);
    return {
      forward: Math.max(await relativeError(y, yRef), await relativeError(yAgain, yRef)),
      dx: await relativeError(dx, dxRef),
      dw: await relativeError(dw, dwRef)
    };
  });
}

/** Runs a case on its own layout, whose GPU tables are released afterwards. */
async function withLayout<T>(layout: BlockLayout, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } finally {
    releaseLayoutTables(layout);
  }
}

export function runMatMulCase(c: MatMulCase): Promise<CaseErrors> {
  const layout = layoutFor(c);
  const bs = layout.blockSize;
  const inSize = c.transposeW ? layout.outputSize : layout.inputSize;
  return withLayout(layout, () => scoped(() => {
                              const x = tensorFrom([...c.batchShape, inSize], c.seed + 1);
                              const w = tensorFrom([layout.nnz, bs, bs], c.seed + 2);
                              const dense = (a: tf.Tensor, b: tf.Tensor) => {
                                const a2 = tf.reshape(a, [-1, inSize]);
                                const y = withZeroItem(
                                    a2, a1 => tf.matMul(a1 as tf.Tensor2D, densify(b, layout) as tf.Tensor2D, false, c.transposeW));
                                return tf.reshape(y, [...c.batchShape, y.shape[1] as number]);
                              };
                              return compare(
                                  x, w, y => tensorFrom(y.shape, c.seed + 3),
                                  (a, b) => blockSparseMatMul(a, b, layout, {transposeW: c.transposeW}), dense);
                            }));
}

/** Relative errors of a fused product (y and the gradients of x, w, bias and prelu's slopes) against dense tfjs ops. */
export interface FusedCaseErrors extends CaseErrors {
  dbias: number;
  /** Where the activation is prelu. */
  dslopes?: number;
}

/** A fused product of x, w, the bias and prelu's slopes (unused by the other activations). */
type FusedProduct = (x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor, slopes: tf.Tensor) => tf.Tensor;

/**
 * Forward and the gradients of x, w, bias (and prelu's slopes) of a scalar
 * loss sum(r ⊙ y), for the fused block-sparse op and for its dense reference.
 */
async function compareFused(
    c: FusedEpilogueCase, x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor, slopes: tf.Tensor, r: tf.Tensor, sparse: FusedProduct,
    dense: FusedProduct): Promise<FusedCaseErrors> {
  const prelu = c.activation === 'prelu';
  const loss = (f: FusedProduct) => (a: tf.Tensor, b: tf.Tensor, d: tf.Tensor, p?: tf.Tensor) => tf.sum(tf.mul(f(a, b, d, p ?? slopes), r));
  const variables = prelu ? [x, w, bias, slopes] : [x, w, bias];
  const [dx, dw, dbias, dslopes] = tf.grads(loss(sparse))(variables);
  const [dxRef, dwRef, dbiasRef, dslopesRef] = await onReferenceBackend(() => tf.grads(loss(dense))(variables));
  const yRef = await onReferenceBackend(() => dense(x, w, bias, slopes));
  return {
    forward: await relativeError(sparse(x, w, bias, slopes), yRef),
    dx: await relativeError(dx, dxRef),
    dw: await relativeError(dw, dwRef),
    dbias: await relativeError(dbias, dbiasRef),
    ...(prelu && {dslopes: await relativeError(dslopes, dslopesRef)})
  };
}

function epilogueOf(c: FusedEpilogueCase, bias: tf.Tensor, slopes: tf.Tensor): FusedEpilogueOptions {
  return {
    bias,
    activation: c.activation,
    leakyreluAlpha: c.leakyreluAlpha,
    ...(c.activation === 'prelu' && {preluActivationWeights: slopes})
  };
}

/** act(x·W + bias) fused into blockSparseMatMul against act(tf.matMul(x, densify(w)) + bias). */
export function runFusedMatMulCase(c: FusedMatMulCase): Promise<FusedCaseErrors> {
  const layout = layoutFor(c);
  const bs = layout.blockSize;
  const [inSize, outSize] = c.transposeW ? [layout.outputSize, layout.inputSize] : [layout.inputSize, layout.outputSize];
  return withLayout(
      layout,
      () => scoped(
          () => compareFused(
              c, tensorFrom([...c.batchShape, inSize], c.seed + 1), tensorFrom([layout.nnz, bs, bs], c.seed + 2),
              tensorFrom([outSize], c.seed + 4), tensorFrom([outSize], c.seed + 5), tensorFrom([...c.batchShape, outSize], c.seed + 3),
              (a, b, d, p) => blockSparseMatMul(a, b, layout, {transposeW: c.transposeW, ...epilogueOf(c, d, p)}),
              (a, b, d, p) =>
                  activateDense(tf.add(tf.matMul(a as tf.Tensor2D, densify(b, layout) as tf.Tensor2D, false, c.transposeW), d), c, p))));
}

/** act(conv(x, W) + bias) fused into blockSparseConv2d against act(tf.conv2d(x, densify(w)) + bias). */
export function runFusedConv2DCase(c: FusedConv2DCase): Promise<FusedCaseErrors> {
  const layout = layoutFor(c);
  const bs = layout.blockSize;
  const [kh, kw] = c.filterSize;
  const xShape = [c.batch, c.height, c.width, layout.inputSize];
  const info = backend_util.conv2DInfo(xShape, kh, kw, {layout, strides: c.strides, pad: c.pad, dilations: c.dilations});
  return withLayout(
      layout,
      () => scoped(
          () => compareFused(
              c, tensorFrom(xShape, c.seed + 1), tensorFrom([layout.nnz, kh, kw, bs, bs], c.seed + 2),
              tensorFrom([layout.outputSize], c.seed + 4), tensorFrom([1, 1, layout.outputSize], c.seed + 5),
              tensorFrom([c.batch, info.outHeight, info.outWidth, layout.outputSize], c.seed + 3),
              (a, b, d, p) => blockSparseConv2d(a as tf.Tensor4D, b, layout, c.strides, c.pad, c.dilations, epilogueOf(c, d, p)),
              (a, b, d, p) =>
                  activateDense(tf.add(tf.conv2d(a as tf.Tensor4D, densify(b, layout) as tf.Tensor4D, c.strides, c.pad), d), c, p))));
}

export function runConv2DCase(c: Conv2DCase): Promise<CaseErrors> {
  const layout = layoutFor(c);
  const bs = layout.blockSize;
  const [kh, kw] = c.filterSize;
  return withLayout(
      layout, () => scoped(() => {
                const x = tensorFrom([c.batch, c.height, c.width, layout.inputSize], c.seed + 1) as tf.Tensor4D;
                const w = tensorFrom([layout.nnz, kh, kw, bs, bs], c.seed + 2);
                const dense = (a: tf.Tensor, b: tf.Tensor) => withZeroItem(
                    a, a1 => tf.conv2d(a1 as tf.Tensor4D, spreadFilter(densify(b, layout) as tf.Tensor4D, c.dilations), c.strides, c.pad));
                return compare(
                    x, w, y => tensorFrom(y.shape, c.seed + 3),
                    (a, b) => blockSparseConv2d(a as tf.Tensor4D, b, layout, c.strides, c.pad, c.dilations), dense);
              }));
}
