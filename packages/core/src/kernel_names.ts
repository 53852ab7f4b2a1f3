/**
 * Kernel names and their inputs and attributes, in the style of
 * tfjs-core/src/kernel_names.ts. A backend serves an op by registering a
 * kernel under the name with tf.registerKernel.
 *
 * Kernels see 2-D matrices for the matmul family (the op flattens leading
 * batch dims) and NHWC tensors for the conv family. The layout travels as
 * an attribute object, so every backend can cache its tables per layout.
 */
import type {NamedAttrMap, TensorInfo} from '@tensorflow/tfjs-core';

import type {BlockLayout} from './layout/block_layout';

export type Conv2DPad = 'same'|'valid'|number;

/**
 * y [M, N] = x [M, K] · W; with transposeW, y [M, K] = x [M, N] · Wᵀ.
 * W is float32 [nnz, bs, bs]; int32 [nnz, bs, bs / 2]: float16 blocks, two
 * to an int32 (toFloat16Blocks), on the backends that read them; or int32
 * [nnz, bs / 2, bs / 2]: int8 blocks at scale 1 (see BlockSparseMatMulInt8),
 * which the gradients' transposed products of int8 weights use.
 */
export const BlockSparseMatMul = 'BlockSparseMatMul';
/**
 * bias [N] (or [K] with transposeW), where given, is added to every row before the activation;
 * preluActivationWeights [..., N] (or [..., K]; ones before the last dim, as Keras keeps them) are prelu's slopes below zero,
 * one per output column, with activation 'prelu' only.
 */
export type BlockSparseMatMulInputs = {
  x: TensorInfo,
  w: TensorInfo,
  bias?: TensorInfo,
  preluActivationWeights?: TensorInfo
};
/**
 * The activations the kernels apply in the product's last step, as tfjs's
 * fused conv2d and matMul do. A backend may number them by their index here.
 */
export type FusedActivation = 'linear'|'relu'|'relu6'|'elu'|'leakyrelu'|'sigmoid'|'prelu';
export const FUSED_ACTIVATIONS: FusedActivation[] = ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu'];

/** The activation of a product's output, and leakyrelu's slope below zero (unused by the others). */
export interface FusedActivationAttrs {
  activation: FusedActivation;
  leakyreluAlpha: number;
}

export interface BlockSparseMatMulAttrs extends FusedActivationAttrs {
  layout: BlockLayout;
  transposeW: boolean;
}

/** What a backend's product program does to its output before writing it: add the bias input, activate. */
export interface ProductEpilogue extends FusedActivationAttrs {
  bias: boolean;
}

/** Output written as computed. */
export const NO_EPILOGUE: ProductEpilogue = {
  bias: false,
  activation: 'linear',
  leakyreluAlpha: 0
};

/**
 * y [M, N] = x [M, K] · (Q · diag(scales)): W held as int8 blocks Q, four
 * to an int32 ([nnz, bs / 2, bs / 2], in pairs of rows: see
 * quantize.ts's int8Offset), and one float32 scale per output column,
 * applied in the epilogue before the bias. Attributes as BlockSparseMatMul's, never
 * transposed (the op scales x instead).
 */
export const BlockSparseMatMulInt8 = 'BlockSparseMatMulInt8';
export type BlockSparseMatMulInt8Inputs = BlockSparseMatMulInputs&{scales: TensorInfo};

/** The kept blocks of xᵀ · dy: dW [nnz, bs, bs] from x [M, K] and dy [M, N]. */
export const BlockSparseMatMulGradW = 'BlockSparseMatMulGradW';
export type BlockSparseMatMulGradWInputs = {
  x: TensorInfo,
  dy: TensorInfo
};
export interface BlockSparseMatMulGradWAttrs {
  layout: BlockLayout;
}

/** Where a conv's filter taps land: shared by the forward and both gradients. */
export interface BlockSparseConv2DGeometry {
  layout: BlockLayout;
  strides: [number, number];
  pad: Conv2DPad;
  dilations: [number, number];
}

/** y [b, oh, ow, Cout] from x [b, h, w, Cin] and w [nnz, kh, kw, bs, bs]. */
export const BlockSparseConv2D = 'BlockSparseConv2D';
/** bias [Cout], where given, is added to every pixel before the activation; preluActivationWeights [..., Cout] as for the matmul. */
export type BlockSparseConv2DInputs = {
  x: TensorInfo,
  w: TensorInfo,
  bias?: TensorInfo,
  preluActivationWeights?: TensorInfo
};
export interface BlockSparseConv2DAttrs extends BlockSparseConv2DGeometry, FusedActivationAttrs {}

/** As BlockSparseConv2D with int8 blocks [nnz, kh, kw, bs / 2, bs / 2] and scales [Cout] (see BlockSparseMatMulInt8). */
export const BlockSparseConv2DInt8 = 'BlockSparseConv2DInt8';
export type BlockSparseConv2DInt8Inputs = BlockSparseConv2DInputs&{scales: TensorInfo};

/** dx [b, h, w, Cin] from dy [b, oh, ow, Cout] and w (float32; int32: float16 blocks, or int8 blocks at scale 1). */
export const BlockSparseConv2DBackpropInput = 'BlockSparseConv2DBackpropInput';
export type BlockSparseConv2DBackpropInputInputs = {
  dy: TensorInfo,
  w: TensorInfo
};
export interface BlockSparseConv2DBackpropInputAttrs extends BlockSparseConv2DGeometry {
  inputShape: [number, number, number, number];
}

/** dW [nnz, kh, kw, bs, bs] from x and dy: the kept blocks only. */
export const BlockSparseConv2DBackpropFilter = 'BlockSparseConv2DBackpropFilter';
export type BlockSparseConv2DBackpropFilterInputs = {
  x: TensorInfo,
  dy: TensorInfo
};
export interface BlockSparseConv2DBackpropFilterAttrs extends BlockSparseConv2DGeometry {
  filterSize: [number, number];
}

/**
 * One LSTM step's gates, fused: from the preactivations z [B, 4U] (gates i,
 * f, c, o, as tf.layers.lstmCell orders them) and the cell state c [B, U],
 * the outputs h [B, U] and c' [B, U]: c' = σ(f)·c + σ(i)·tanh(c), h = σ(o)·tanh(c'),
 * σ the recurrent activation.
 */
export const LSTMGates = 'LSTMGates';
export type LSTMGatesInputs = {
  z: TensorInfo,
  c: TensorInfo
};
/** tf.layers.lstmCell's recurrent activations: 'hardSigmoid' (its default, clip(0.2·v + 0.5, 0, 1)) or 'sigmoid'. */
export type RecurrentActivation = 'hardSigmoid'|'sigmoid';
export const RECURRENT_ACTIVATIONS: RecurrentActivation[] = ['hardSigmoid', 'sigmoid'];
export interface LSTMGatesAttrs {
  recurrentActivation: RecurrentActivation;
}

/** Attributes are plain objects to tfjs; the layout rides along uncopied. */
export function asAttrs(attrs: object): NamedAttrMap {
  return attrs as unknown as NamedAttrMap;
}
