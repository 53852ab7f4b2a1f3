import * as tf from '@tensorflow/tfjs-core';

import {asAttrs, LSTMGates, LSTMGatesAttrs, RECURRENT_ACTIVATIONS, RecurrentActivation} from '../kernel_names';

import {checkFloatTensor, checkKernel} from './checks';

/**
 * The gates of one LSTM step in one kernel: z [B, 4U] holds the
 * preactivations of the gates i, f, c, o (x·W + h·U + bias, in
 * tf.layers.lstmCell's order), c [B, U] the cell state; returns [h, c'] with
 * c' = σ(zf)·c + σ(zi)·tanh(zc) and h = σ(zo)·tanh(c'), σ the recurrent
 * activation ('hardSigmoid', tf.layers.lstmCell's default, or 'sigmoid').
 * The dozen elementwise ops of a step become one call; differentiable in z and c.
 */
function lstmGates_(z: tf.Tensor, c: tf.Tensor, recurrentActivation: RecurrentActivation = 'hardSigmoid'): [tf.Tensor2D, tf.Tensor2D] {
  const caller = 'lstmGates';
  checkKernel(LSTMGates, caller);
  checkFloatTensor(z, 'z', caller);
  checkFloatTensor(c, 'c', caller);
  if (c.rank !== 2 || z.rank !== 2 || z.shape[0] !== c.shape[0] || z.shape[1] !== 4 * c.shape[1]!) {
    throw new Error(`${caller}: z must be [batch, 4 * units] and c [batch, units], got z [${z.shape}] and c [${c.shape}]`);
  }
  if (!RECURRENT_ACTIVATIONS.includes(recurrentActivation)) {
    throw new Error(`${caller}: recurrentActivation must be one of ${RECURRENT_ACTIVATIONS.join(', ')}, got ${recurrentActivation}`);
  }
  const attrs: LSTMGatesAttrs = {recurrentActivation};
  return tf.engine().runKernel(LSTMGates, {z, c}, asAttrs(attrs)) as unknown as [tf.Tensor2D, tf.Tensor2D];
}

export const lstmGates = tf.op({lstmGates_});
