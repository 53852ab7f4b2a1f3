import * as tf from '@tensorflow/tfjs-core';

import {asAttrs, FUSED_ACTIVATIONS, FusedActivation, FusedActivationAttrs} from '../kernel_names';

import {checkFloatTensor} from './checks';

/** What the ops take to fuse a bias and an activation into the product, as tf.fused.conv2d / matMul do. */
export interface FusedEpilogueOptions {
  /** Added to every output row (every pixel of a conv), in the same kernel: one value per output column. */
  bias?: tf.Tensor;
  /** Applied after the bias, in the same kernel (default 'linear'). */
  activation?: FusedActivation;
  /** leakyrelu's slope below zero (default 0.2, as tf.leakyRelu); at least 0. */
  leakyreluAlpha?: number;
  /**
   * prelu's slopes below zero, one per output column: [outSize], or a shape
   * ending in outSize with ones before it ([1, 1, Cout] as Keras's PReLU
   * keeps them), or a single slope for every column. With activation 'prelu' only.
   */
  preluActivationWeights?: tf.Tensor;
}

/** A product's epilogue as its kernel takes it: the attrs, and the bias and prelu's slopes ([..., outSize]) where it has them. */
export interface FusedEpilogue {
  attrs: FusedActivationAttrs;
  bias?: tf.Tensor;
  preluActivationWeights?: tf.Tensor;
}

/** Whether prelu's slopes are what the product kernels take: one per output column ([outSize] or [1, ..., outSize]) or one for all. */
export function fusablePreluSlopes({shape, size}: {shape: number[], size: number}, outSize: number): boolean {
  return size === 1 || (size === outSize && shape[shape.length - 1] === outSize);
}

/** Checks the fused bias and activation of an op whose output has `outSize` columns; returns them as the kernel takes them. */
export function fusedEpilogue(
    {bias, activation = 'linear', leakyreluAlpha = 0.2, preluActivationWeights}: FusedEpilogueOptions, outSize: number,
    caller: string): FusedEpilogue {
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
  const attrs: FusedActivationAttrs = {activation, leakyreluAlpha};
  if ((activation === 'prelu') !== (preluActivationWeights != null)) {
    throw new Error(
        `${caller}: preluActivationWeights go with activation 'prelu' and only with it, got activation ${activation} ` +
        `${preluActivationWeights == null ? 'without' : 'with'} them`);
  }
  if (preluActivationWeights == null) {
    return {attrs, bias};
  }
  checkFloatTensor(preluActivationWeights, 'preluActivationWeights', caller);
  if (!fusablePreluSlopes(preluActivationWeights, outSize)) {
    throw new Error(
        `${caller}: preluActivationWeights must hold one slope per output column ([${outSize}], or [1, ..., ${outSize}]) or ` +
        `one for all, got [${preluActivationWeights.shape}]`);
  }
  // Slopes per column go in as they are (a reshape would be a tfjs call each time: Keras keeps them [1, 1, C]).
  const slopes =
      preluActivationWeights.size === outSize ? preluActivationWeights : tf.broadcastTo(tf.reshape(preluActivationWeights, [1]), [outSize]);
  return {attrs, bias, preluActivationWeights: slopes};
}

/** act(y + bias) as separate tfjs ops: for a product with no kept block, where there is nothing to fuse into. */
export function unfusedEpilogue(
    y: tf.Tensor, {attrs: {activation, leakyreluAlpha}, bias, preluActivationWeights}: FusedEpilogue): tf.Tensor {
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
    case 'prelu':
      return tf.prelu(biased, preluActivationWeights!);
    default:
      return biased;
  }
}

/**
 * Runs product kernel `kernelName` on `inputs` with `attrs` and the
 * epilogue: fused into the kernel (bias and slopes join its inputs), or
 * where there is nothing to fuse into (`fused` false: no kept block) as
 * tfjs ops after it.
 */
export function runProduct(
    kernelName: string, inputs: Record<string, tf.Tensor>, attrs: object, epilogue: FusedEpilogue, fused: boolean): tf.Tensor {
  if (!fused) {
    const linear: FusedActivationAttrs = {activation: 'linear', leakyreluAlpha: 0};
    return unfusedEpilogue(tf.engine().runKernel(kernelName, inputs, asAttrs({...attrs, ...linear})) as tf.Tensor, epilogue);
  }
  const {bias, preluActivationWeights} = epilogue;
  const all = {...inputs, ...(bias != null && {bias}), ...(preluActivationWeights != null && {preluActivationWeights})};
  const fusedAttrs = {...attrs, ...epilogue.attrs};
  // Only a call that a gradient will be taken of needs prelu's own (recording it costs a few microseconds a call).
  return preluActivationWeights != null && tf.engine().isTapeOn() ?
      runPreluProduct(kernelName, all, fusedAttrs) :
      tf.engine().runKernel(kernelName, all, asAttrs(fusedAttrs)) as tf.Tensor;
}

/**
 * Runs a product kernel whose epilogue is prelu, with a gradient of its
 * own: a registered gradient saves a fixed list of inputs, which the
 * optional slopes cannot join (tf.fused.conv2d records its own too). With
 * z the product before the activation, rerun without it, dz = dy where
 * z > 0, else dy·α (y alone cannot tell: a negative slope makes y > 0 on
 * both sides); the kernel's registered gradient of dz gives the other
 * inputs' gradients, and dα sums dy·min(z, 0) over the rows.
 */
function runPreluProduct(kernelName: string, inputs: Record<string, tf.Tensor>, attrs: FusedActivationAttrs): tf.Tensor {
  const names = Object.keys(inputs);
  const config = tf.getGradient(kernelName);
  const linear = {...attrs, activation: 'linear'};
  const product = tf.customGrad((...args: unknown[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const tensors = args as tf.Tensor[];
    const y = tf.engine().runKernel(kernelName, named(names, tensors), asAttrs(attrs)) as tf.Tensor;
    save(tensors);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const {preluActivationWeights: alpha, ...productInputs} = named(names, saved);
        const z = tf.engine().runKernel(kernelName, productInputs, asAttrs(linear)) as tf.Tensor;
        // One slope per column, whatever ones come before it ([1, 1, C] would broadcast a matmul's rows to rank 3).
        const slopes = tf.reshape(alpha, [alpha.size]);
        const dz = tf.where(tf.greater(z, 0), dy, tf.mul(dy, slopes));
        const grads = config.gradFunc(dz, [...config.inputsToSave!.map(name => productInputs[name]), z], asAttrs(linear));
        const rows = Array.from({length: z.rank - 1}, (_, i) => i);
        const dAlpha = tf.reshape(tf.sum(tf.mul(dy, tf.minimum(z, 0)), rows), alpha.shape);
        return names.map(name => name === 'preluActivationWeights' ? dAlpha : grads[name]());
      }
    };
  });
  return product(...names.map(name => inputs[name]));
}

function named(names: string[], tensors: tf.Tensor[]): Record<string, tf.Tensor> {
  return Object.fromEntries(names.map((name, i) => [name, tensors[i]]));
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
