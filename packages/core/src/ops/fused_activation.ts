import * as tf from '@tensorflow/tfjs-core';

import {FUSED_ACTIVATIONS, FusedActivation, FusedActivationAttrs} from '../kernel_names';

import {checkFloatTensor} from './checks';

/** What the ops take to fuse a bias and an activation into the product, as tf.fused.conv2d / matMul do. */
export interface FusedEpilogueOptions {
  /** Added to every output row (every pixel of a conv), in the same kernel: one value per output column. */
  bias?: tf.Tensor;
  /** Applied after the bias, in the same kernel (default 'linear'). */
  activation?: FusedActivation;
  /** leakyrelu's slope below zero (default 0.2, as tf.leakyRelu); at least 0. */
  leakyreluAlpha?: number;
}

/** Checks the fused bias and activation of an op whose output has `outSize` columns; returns the kernel attrs. */
export function fusedActivationAttrs(
    {bias, activation = 'linear', leakyreluAlpha = 0.2}: FusedEpilogueOptions, outSize: number, caller: string): FusedActivationAttrs {
  if (!FUSED_ACTIVATIONS.includes(activation)) {
    throw new Error(`${caller}: activation must be one of ${FUSED_ACTIVATIONS.join(', ')}, got ${activation}`);
  }
  // The gradient reads leakyrelu's slope off the output's sign, which a negative slope flips.
  if (!(Number.isFinite(leakyreluAlpha) && leakyreluAlpha >= 0)) {
    throw new Error(`${caller}: leakyreluAlpha must be a finite number >= 0, got ${leakyreluAlpha}`);
  }
  if (bias != null) {
    checkFloatTensor(bias, 'bias', caller);
    if (bias.rank !== 1 || bias.shape[0] !== outSize) {
      throw new Error(`${caller}: bias must be [${outSize}] (one value per output column), got [${bias.shape}]`);
    }
  }
  return {activation, leakyreluAlpha};
}

/** act(y + bias) as separate tfjs ops: for a product with no kept block, where there is nothing to fuse into. */
export function unfusedEpilogue(y: tf.Tensor, bias: tf.Tensor|undefined, {activation, leakyreluAlpha}: FusedActivationAttrs): tf.Tensor {
  const biased = bias == null ? y : tf.add(y, bias);
  switch (activation) {
    case 'relu':
      return tf.relu(biased);
    case 'relu6':
      return tf.relu6(biased);
    case 'elu':
      return tf.elu(biased);
    case 'leakyrelu':
      return tf.leakyRelu(biased, leakyreluAlpha);
    case 'sigmoid':
      return tf.sigmoid(biased);
    default:
      return biased;
  }
}

/**
 * dy·act'(z) for y = act(z), read from the saved output y: every fused
 * activation's derivative is a function of its output (leakyrelu's because
 * its slope is not negative).
 */
export function activationGradient(dy: tf.Tensor, y: tf.Tensor, {activation, leakyreluAlpha}: FusedActivationAttrs): tf.Tensor {
  switch (activation) {
    case 'relu':
      return tf.mul(dy, tf.step(y));
    case 'relu6':
      return tf.mul(dy, tf.cast(tf.logicalAnd(tf.greater(y, 0), tf.less(y, 6)), 'float32'));
    case 'elu':
      return tf.mul(dy, tf.where(tf.greater(y, 0), tf.onesLike(y), tf.add(y, 1)));
    case 'leakyrelu':
      return tf.mul(dy, tf.where(tf.greater(y, 0), tf.onesLike(y), tf.fill(y.shape, leakyreluAlpha)));
    case 'sigmoid':
      return tf.mul(dy, tf.mul(y, tf.sub(1, y)));
    default:
      return dy;
  }
}
