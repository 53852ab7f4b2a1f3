import * as tf from '@tensorflow/tfjs-core';

import {LSTMGates, LSTMGatesAttrs} from '../kernel_names';

/**
 * With i, f, g, o the activated gates and t = tanh(c'): dc' = dc'_out +
 * dh·o·(1 − t²); dz = [dc'·g·σ'(zi), dc'·c·σ'(zf), dc'·i·(1 − g²), dh·t·σ'(zo)];
 * dc = dc'·f. hardSigmoid's σ' is 0.2 where 0.2·v + 0.5 lies in [0, 1] (the
 * ends included, as tfjs's clipByValue gradient has it), else 0.
 */
export const lstmGatesGradConfig: tf.GradConfig = {
  kernelName: LSTMGates,
  inputsToSave: ['z', 'c'],
  outputsToSave: [false, true],
  gradFunc: (dys, saved, attrs) => {
    const [dh, dcOut] = dys as tf.Tensor[];
    const [z, c, cNext] = saved;
    const {recurrentActivation} = attrs as unknown as LSTMGatesAttrs;
    const [zi, zf, zc, zo] = tf.split(z, 4, -1);
    // A gate's value and its slope σ'(v); sigmoid's slope comes from its value, s·(1 − s).
    const gate = (v: tf.Tensor): [tf.Tensor, tf.Tensor] => {
      if (recurrentActivation === 'sigmoid') {
        const s = tf.sigmoid(v);
        return [s, tf.mul(s, tf.sub(1, s))];
      }
      const u = tf.add(tf.mul(v, 0.2), 0.5);
      return [tf.clipByValue(u, 0, 1), tf.mul(tf.cast(tf.logicalAnd(tf.greaterEqual(u, 0), tf.lessEqual(u, 1)), 'float32'), 0.2)];
    };
    const [[i, iSlope], [f, fSlope], [o, oSlope]] = [zi, zf, zo].map(gate);
    const g = tf.tanh(zc);
    const t = tf.tanh(cNext);
    const dcNext = tf.add(dcOut, tf.mul(tf.mul(dh, o), tf.sub(1, tf.square(t))));
    const dz = tf.concat(
        [
          tf.mul(tf.mul(dcNext, g), iSlope), tf.mul(tf.mul(dcNext, c), fSlope), tf.mul(tf.mul(dcNext, i), tf.sub(1, tf.square(g))),
          tf.mul(tf.mul(dh, t), oSlope)
        ],
        -1);
    return {z: () => dz, c: () => tf.mul(dcNext, f)};
  }
};
