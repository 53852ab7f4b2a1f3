import * as tf from '@tensorflow/tfjs-core';
import {lstmGates, RecurrentActivation} from '@tfjs-blocksparse/core';

import {seededValues} from './random';
import {onReferenceBackend, relativeError, sumAll} from './reference';
import {scoped} from './scoped';

export interface LSTMGatesCase {
  rows: number;
  units: number;
  recurrentActivation: RecurrentActivation;
  seed: number;
}

/** One row (a sampling step), batches and an empty batch; unit counts that no vector width divides; both recurrent activations. */
export function lstmGatesCases(): LSTMGatesCase[] {
  return [
    {rows: 1, units: 4, recurrentActivation: 'hardSigmoid', seed: 61},
    {rows: 1, units: 64, recurrentActivation: 'sigmoid', seed: 62},
    {rows: 3, units: 33, recurrentActivation: 'hardSigmoid', seed: 63},
    {rows: 5, units: 7, recurrentActivation: 'sigmoid', seed: 64},
    {rows: 0, units: 8, recurrentActivation: 'hardSigmoid', seed: 66},
    // Enough work for the wasm kernel's threads, where a page runs them.
    {rows: 64, units: 257, recurrentActivation: 'sigmoid', seed: 65},
  ];
}

export function describeLSTMGatesCase({rows, units, recurrentActivation}: LSTMGatesCase): string {
  return `${rows}x${units} ${recurrentActivation}`;
}

/** Relative errors of lstmGates's h and c', and of dz and dc, against the same step as separate tfjs ops. */
export interface LSTMGatesErrors {
  h: number;
  c: number;
  dz: number;
  dc: number;
}

/** The step as tf.layers.lstmCell computes it, op by op. */
function separateOps(z: tf.Tensor, c: tf.Tensor, recurrentActivation: RecurrentActivation): [tf.Tensor, tf.Tensor] {
  const gate = (v: tf.Tensor) => recurrentActivation === 'sigmoid' ? tf.sigmoid(v) : tf.clipByValue(tf.add(tf.mul(v, 0.2), 0.5), 0, 1);
  const [zi, zf, zc, zo] = tf.split(z, 4, -1);
  const cNext = tf.add(tf.mul(gate(zf), c), tf.mul(gate(zi), tf.tanh(zc)));
  return [tf.mul(gate(zo), tf.tanh(cNext)), cNext];
}

/**
 * z in [-4, 4) (both sides of hardSigmoid's clipped ends), c in [-1, 1);
 * gradients of sum(h ⊙ a + c' ⊙ b) for seeded a, b.
 */
export function runLSTMGatesCase({rows, units, recurrentActivation, seed}: LSTMGatesCase): Promise<LSTMGatesErrors> {
  return scoped(async () => {
    const z = tf.mul(tf.tensor(seededValues(rows * 4 * units, seed), [rows, 4 * units]), 4);
    const c = tf.tensor(seededValues(rows * units, seed + 1), [rows, units]);
    const a = tf.tensor(seededValues(rows * units, seed + 2), [rows, units]);
    const b = tf.tensor(seededValues(rows * units, seed + 3), [rows, units]);
    const loss = (step: typeof separateOps) => (zv: tf.Tensor, cv: tf.Tensor) => {
      const [h, cNext] = step(zv, cv, recurrentActivation);
      return tf.add(sumAll(tf.mul(h, a)), sumAll(tf.mul(cNext, b)));
    };
    const [h, cNext] = lstmGates(z, c, recurrentActivation);
    const [dz, dc] = tf.grads(loss(lstmGates))([z, c]);
    const [[hRef, cRef], [dzRef, dcRef]] =
        await onReferenceBackend(() => [separateOps(z, c, recurrentActivation), tf.grads(loss(separateOps))([z, c])]);
    return {
      h: await relativeError(h, hRef),
      c: await relativeError(cNext, cRef),
      dz: await relativeError(dz, dzRef),
      dc: await relativeError(dc, dcRef)
    };
  });
}
